# One switch for the ASan+UBSan build that CI runs the test suite under.
if(WHARF_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang 14's -fsanitize=function cannot compile C++20 coroutines ("cannot represent a
    # difference across sections"); every other UBSan check stays on.
    add_compile_options(-fno-sanitize=function)
  endif()
  # Without optimisation (after the build type's -O2, so it wins): clang with both sanitizers
  # compiles a Beast-heavy file in 11 s instead of 25 (-O1 saves nothing) and the whole build
  # in half the time (the 150 files compiled: 1,587 s of CPU at -O2, 797 s at -O0; 442 s at
  # -j2), while the instrumented tests take 143-183 s instead of 100 (the fuzz targets' fixed
  # counts most of it). Both sanitizers check the same at -O0; the plain build runs the suite
  # optimised. A fuzzing campaign wants speed instead: -DWHARF_SANITIZE_OPTIMIZE=-O2.
  set(WHARF_SANITIZE_OPTIMIZE -O0 CACHE STRING "Optimisation level of the sanitizer build")
  add_compile_options(${WHARF_SANITIZE_OPTIMIZE})
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(WHARF_SANITIZE)
endif()
