# subprocess: fork/vfork + execve + pipes + wait4 from python.
import subprocess
r = subprocess.run(["echo", "hi"], capture_output=True)
print(r.returncode, r.stdout)
print(subprocess.run("exit 3", shell=True).returncode)
print(subprocess.check_output(["tr", "a-z", "A-Z"], input=b"piped through tr\n"))
p = subprocess.Popen(["cat"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
out, _ = p.communicate(b"x" * 100000)
print(len(out), p.returncode)
r = subprocess.run(["sh", "-c", "echo out; echo err >&2; exit 5"], capture_output=True, text=True)
print(repr(r.stdout), repr(r.stderr), r.returncode)
try:
    subprocess.run(["/nonexistent/prog"])
except FileNotFoundError as e:
    print("FileNotFoundError", e.errno)
r = subprocess.run(["sh", "-c", "kill -TERM $$"])
print("killed:", r.returncode)
