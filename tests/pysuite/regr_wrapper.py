# tests/pysuite/regr_wrapper.py — runs inside the guest (engine) or the native chroot as
#   python3 -c "$(cat regr_wrapper.py)" MODULE [REGRTEST OPTIONS...]
# It runs Python's regression test driver (what `python3 -m test` runs) in this one process
# for one MODULE, with --junit-xml to a file in /tmp, then prints the XML to stdout between
# markers, so the harness needs nothing but stdout from the guest. Exit status: regrtest's.
import os
import signal
import sys

# The same start on both sides: a harness started in the background (nohup, `&`) hands
# its children SIGINT ignored, which python keeps, and test_signal then fails natively.
# The engine's first process always starts with default dispositions.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
for s in (signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP):
    if signal.getsignal(s) == signal.SIG_IGN:
        signal.signal(s, signal.SIG_DFL)

mod = sys.argv[1]
xml = "/tmp/gb-pysuite-%d.xml" % os.getpid()
sys.argv = ["python3 -m test", "-u", "none", "--junit-xml", xml] + sys.argv[2:] + [mod]
rc = 0
try:
    from test.libregrtest import main
    main()
except SystemExit as e:
    rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
except BaseException as e:  # a crash of the driver itself
    print("gb-pysuite: regrtest raised %r" % (e,))
    rc = 99
sys.stdout.flush()
sys.stderr.flush()
try:
    with open(xml, "rb") as f:
        data = f.read().decode("utf-8", "replace")
except OSError:
    data = ""
sys.stdout.write("\n@@GB-JUNIT-BEGIN@@\n" + data + "\n@@GB-JUNIT-END@@\n")
sys.stdout.flush()
sys.exit(rc)
