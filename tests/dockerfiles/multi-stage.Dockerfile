# syntax=docker/dockerfile:1
# A two-stage build with ARG, a continued ENV, COPY --from and a continued
# exec-form RUN; tests/it/dockerfile.rs builds it with buildah.
ARG NAME=world
FROM scratch AS build
COPY busybox /bin/busybox
RUN ["/bin/busybox", "sh", "-c", "/bin/busybox mkdir -p /out && echo hello > /out/greeting"]

FROM scratch
ARG NAME
ENV GREETING="hello $NAME" \
    HOME=/root
COPY --from=build /bin/busybox /bin/busybox
COPY --from=build /out/ /srv/
RUN ["/bin/busybox", "sh", "-c", \
     "echo $GREETING > /srv/name"]
WORKDIR /srv
CMD ["/bin/busybox", "cat", "/srv/name"]
