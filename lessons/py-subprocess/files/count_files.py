import subprocess
import sys

# count_files.py DIR: runs `ls -1 DIR` and prints "N entries in DIR".
# TODO
