# The base of the "debian-pip" sample: Debian bookworm from debootstrap
# (minbase), built as an image of its own first, so the sample is built FROM
# a real base and its history starts with the base's steps.
FROM scratch
ADD rootfs.tar /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
CMD ["bash"]
