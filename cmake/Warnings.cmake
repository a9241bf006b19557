# Every target of ours is built with warnings as errors so CI catches them on the first run.
function(wharf_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-unused-parameter)
endfunction()
