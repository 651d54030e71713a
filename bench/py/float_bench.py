# bench/py/float_bench.py — float objects and math calls in pure Python (written for
# this project; the pyperformance "float" kind of row): make N points, normalise them,
# take the componentwise maximum.
import math
import sys


class Point:
    __slots__ = ("x", "y", "z")

    def __init__(self, i):
        self.x = x = math.sin(i)
        self.y = math.cos(i) * 3
        self.z = (x * x) / 2

    def normalize(self):
        n = math.sqrt(self.x * self.x + self.y * self.y + self.z * self.z)
        self.x /= n
        self.y /= n
        self.z /= n

    def maximize(self, o):
        self.x = self.x if self.x > o.x else o.x
        self.y = self.y if self.y > o.y else o.y
        self.z = self.z if self.z > o.z else o.z
        return self


n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
points = [Point(i) for i in range(n)]
for p in points:
    p.normalize()
m = points[0]
for p in points[1:]:
    m = m.maximize(p)
print("%.9f %.9f %.9f" % (m.x, m.y, m.z))
