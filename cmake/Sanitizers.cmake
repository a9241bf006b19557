# One switch for the ASan+UBSan build that CI runs the test suite under.
if(WHARF_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # clang 14's -fsanitize=function cannot compile C++20 coroutines ("cannot represent a
    # difference across sections"); every other UBSan check stays on.
    add_compile_options(-fno-sanitize=function)
  endif()
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(WHARF_SANITIZE)
endif()
