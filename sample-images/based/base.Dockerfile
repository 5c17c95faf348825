# The base image of the "based" sample: built first, on its own, so the
# sample's history starts with a real base's steps (ending in its CMD).
FROM scratch
COPY rootfs/ /
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["sh"]
