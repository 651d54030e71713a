#!/usr/bin/env python3
"""Hello from Python; run: python3 hello.py"""
import platform
import sys

print("Hello from Python %s on %s!" % (platform.python_version(), platform.machine()))
print("squares:", [n * n for n in range(10)])
sys.exit(0)
