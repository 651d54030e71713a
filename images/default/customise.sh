#!/bin/sh
# Runs as root in a chroot of the image after files/ was copied over /.
set -eu

# the student account: uid/gid 1000, no password (the VM is single-user)
groupadd --gid 1000 student
useradd --uid 1000 --gid 1000 --home-dir /home/student --no-create-home \
        --shell /bin/bash --comment "Glassbox student" student
passwd -d student >/dev/null
# files/ already put examples into /home/student; add the usual dotfiles
cp -rn /etc/skel/. /home/student/
cat /etc/glassbox/bashrc >> /home/student/.bashrc
chown -R 1000:1000 /home/student
chmod 0755 /home/student

echo glassbox > /etc/hostname
printf '127.0.0.1\tlocalhost\n127.0.1.1\tglassbox\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > /etc/hosts
printf 'LANG=C.UTF-8\n' > /etc/default/locale

# df, mount and findmnt read the mount table here (the engine's /proc/self/mounts)
[ -e /etc/mtab ] || ln -s ../proc/self/mounts /etc/mtab

# vim-tiny is the only vi; make `vim` find it too
if [ ! -e /usr/bin/vim ] && [ -x /usr/bin/vim.tiny ]; then
    ln -s vim.tiny /usr/bin/vim
fi

# the examples must build with what the image has (catches a broken toolchain early)
su student -s /bin/sh -c 'cd /home/student/examples && make -s && ./hello >/dev/null && python3 hello.py >/dev/null && make -s clean'
