# ccache makes the second and later CI/test builds cheap; it is optional for a developer build.
find_program(WHARF_CCACHE ccache)
if(WHARF_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${WHARF_CCACHE})
endif()
