# cmake/deps.cmake — third-party libraries compiled from Debian's source packages, the same
# sources for g++ and for emcc, so the native and the wasm engine run the same code.
#
#   gb_libdeflate   static: DEFLATE/gzip decompression and CRC-32 (libdeflate, Debian
#                   `libdeflate`); only the decompressor, CRC-32 and the CPU-feature probe
#                   (x86 picks PCLMUL/BMI2 code paths at run time; wasm gets portable C)
#   gb_json         interface: nlohmann-json's headers (Debian `nlohmann-json3-dev`)
#   gb_imgui        static, Emscripten only: Dear ImGui (Debian `imgui`, 1.86) with its
#                   OpenGL ES 3 (WebGL2) renderer backend; the inspector's page module
#                   links it. Absent sources only leave the inspector module undefined.
#   gb_capstone     static, native and emcc: Capstone 4.0.2 (Debian `capstone`), x86 only,
#                   for the inspector's Code panel (not linked anywhere yet: a target that
#                   nothing links is never built)
#
# The sources are never committed: tools/setup unpacks them (`apt-get source`) into
# ${GLASSBOX_CACHE:-~/.cache/glassbox}/deps/<package>; -DGB_DEPS_DIR=... points elsewhere.
# Self-contained: include it once from any CMakeLists.txt (the engine's, tests/storage's)
# and link the targets where they are used.
include_guard(GLOBAL)

if(NOT GB_DEPS_DIR)
  if(DEFINED ENV{GLASSBOX_CACHE})
    set(GB_DEPS_DIR $ENV{GLASSBOX_CACHE}/deps)
  else()
    set(GB_DEPS_DIR $ENV{HOME}/.cache/glassbox/deps)
  endif()
endif()
set(GB_DEPS_DIR ${GB_DEPS_DIR} CACHE PATH "unpacked Debian source packages (tools/setup)")

# ---------------------------------------------------------------- libdeflate
set(GB_LIBDEFLATE_DIR ${GB_DEPS_DIR}/libdeflate)
if(NOT EXISTS ${GB_LIBDEFLATE_DIR}/libdeflate.h)
  message(FATAL_ERROR "libdeflate sources not found in ${GB_LIBDEFLATE_DIR}: run tools/setup")
endif()
get_filename_component(GB_LIBDEFLATE_REAL ${GB_LIBDEFLATE_DIR} REALPATH)  # libdeflate-<version>
add_library(gb_libdeflate STATIC
  ${GB_LIBDEFLATE_REAL}/lib/deflate_decompress.c
  ${GB_LIBDEFLATE_REAL}/lib/gzip_decompress.c
  ${GB_LIBDEFLATE_REAL}/lib/crc32.c
  ${GB_LIBDEFLATE_REAL}/lib/utils.c
  ${GB_LIBDEFLATE_REAL}/lib/x86/cpu_features.c)
set_target_properties(gb_libdeflate PROPERTIES C_STANDARD 99)
# their code, their warnings: build it as upstream does, -O2, without the engine's -Wall
target_compile_options(gb_libdeflate PRIVATE -O2 -w)
target_include_directories(gb_libdeflate SYSTEM PUBLIC ${GB_LIBDEFLATE_REAL})

# ---------------------------------------------------------------- nlohmann-json
# Header-only. emcc must not see all of /usr/include, so only the nlohmann directory is
# exposed (through a link in the build tree, as for doctest).
find_path(GB_NLOHMANN_INCLUDE nlohmann/json.hpp PATHS /usr/include NO_CMAKE_FIND_ROOT_PATH)
if(NOT GB_NLOHMANN_INCLUDE)
  message(FATAL_ERROR "nlohmann/json.hpp not found: run tools/setup (nlohmann-json3-dev)")
endif()
add_library(gb_json INTERFACE)
if(EMSCRIPTEN)  # natively /usr/include is on the default path already
  set(_gb_json_inc ${CMAKE_BINARY_DIR}/nlohmann_inc)
  file(MAKE_DIRECTORY ${_gb_json_inc})
  file(CREATE_LINK ${GB_NLOHMANN_INCLUDE}/nlohmann ${_gb_json_inc}/nlohmann SYMBOLIC)
  target_include_directories(gb_json SYSTEM INTERFACE ${_gb_json_inc})
endif()

# ---------------------------------------------------------------- Dear ImGui
# Only the page's inspector module uses it (inspector/CMakeLists.txt), so only emcc builds it.
set(GB_IMGUI_DIR ${GB_DEPS_DIR}/imgui)
if(EMSCRIPTEN AND EXISTS ${GB_IMGUI_DIR}/imgui.h)
  get_filename_component(GB_IMGUI_REAL ${GB_IMGUI_DIR} REALPATH)  # imgui-<version>
  add_library(gb_imgui STATIC
    ${GB_IMGUI_REAL}/imgui.cpp
    ${GB_IMGUI_REAL}/imgui_draw.cpp
    ${GB_IMGUI_REAL}/imgui_tables.cpp
    ${GB_IMGUI_REAL}/imgui_widgets.cpp
    ${GB_IMGUI_REAL}/backends/imgui_impl_opengl3.cpp)
  target_compile_options(gb_imgui PRIVATE -O2 -w)
  # WebGL2 is OpenGL ES 3.0: the backend's GLES3 path, shaders "#version 300 es"
  target_compile_definitions(gb_imgui PUBLIC IMGUI_IMPL_OPENGL_ES3 IMGUI_DISABLE_OBSOLETE_FUNCTIONS)
  target_include_directories(gb_imgui SYSTEM PUBLIC ${GB_IMGUI_REAL} ${GB_IMGUI_REAL}/backends)
elseif(EMSCRIPTEN)
  message(STATUS "Dear ImGui sources not found in ${GB_IMGUI_DIR}: no inspector module (run tools/setup)")
endif()

# ---------------------------------------------------------------- Capstone (x86 only)
set(GB_CAPSTONE_DIR ${GB_DEPS_DIR}/capstone)
if(EXISTS ${GB_CAPSTONE_DIR}/include/capstone/capstone.h)
  get_filename_component(GB_CAPSTONE_REAL ${GB_CAPSTONE_DIR} REALPATH)  # capstone-<version>
  add_library(gb_capstone STATIC EXCLUDE_FROM_ALL
    ${GB_CAPSTONE_REAL}/cs.c
    ${GB_CAPSTONE_REAL}/MCInst.c
    ${GB_CAPSTONE_REAL}/MCInstrDesc.c
    ${GB_CAPSTONE_REAL}/MCRegisterInfo.c
    ${GB_CAPSTONE_REAL}/SStream.c
    ${GB_CAPSTONE_REAL}/utils.c
    ${GB_CAPSTONE_REAL}/arch/X86/X86ATTInstPrinter.c
    ${GB_CAPSTONE_REAL}/arch/X86/X86Disassembler.c
    ${GB_CAPSTONE_REAL}/arch/X86/X86DisassemblerDecoder.c
    ${GB_CAPSTONE_REAL}/arch/X86/X86IntelInstPrinter.c
    ${GB_CAPSTONE_REAL}/arch/X86/X86Mapping.c
    ${GB_CAPSTONE_REAL}/arch/X86/X86Module.c)
  target_compile_definitions(gb_capstone PRIVATE CAPSTONE_HAS_X86 CAPSTONE_USE_SYS_DYN_MEM)
  target_compile_options(gb_capstone PRIVATE -O2 -w)
  target_include_directories(gb_capstone PRIVATE ${GB_CAPSTONE_REAL}/include)
  target_include_directories(gb_capstone SYSTEM PUBLIC ${GB_CAPSTONE_REAL}/include)
endif()
