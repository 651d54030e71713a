# tests/pysuite/regr_wrapper.py — runs inside the guest (engine) or the native chroot as
#   python3 -c "$(cat regr_wrapper.py)" MODULE [REGRTEST OPTIONS...]
# It runs Python's regression test driver (what `python3 -m test` runs) in this one process
# for one MODULE, with --junit-xml to a file in /tmp, then prints the XML to stdout between
# markers, so the harness needs nothing but stdout from the guest. Exit status: regrtest's.
import os
import sys

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
