// tests/unit/main.cpp — the doctest main for unit_tests (every tests/unit/*.cpp links into it).
// Run: build/unit_tests [doctest options, e.g. -tc="decode*" -s]
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
