# Every target of ours is built with warnings as errors so CI catches them on the first run.
function(wharf_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-unused-parameter)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # GCC 12 reports Asio's coroutine frame allocator as mismatched new/delete: a known false
    # positive (GCC bug 105553 family) for awaitable frames, not a real mismatch.
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
  endif()
endfunction()
