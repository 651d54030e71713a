# Glassbox login environment (sourced by /etc/profile for login shells)
export TERM="${TERM:-xterm-256color}"
export LANG=C.UTF-8
export EDITOR="${EDITOR:-nano}"
if [ -n "${PS1:-}" ] && [ -r /etc/motd ] && [ -z "${GLASSBOX_MOTD_SHOWN:-}" ]; then
    cat /etc/motd
    export GLASSBOX_MOTD_SHOWN=1
fi
