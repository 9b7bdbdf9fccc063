# Included by the top-level CMakeLists.txt when REPMGR_FUZZ is ON.
set(FUZZ_FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)
set(FUZZ_SOURCES
  ${CMAKE_SOURCE_DIR}/src/config/client_allow.cpp
  ${CMAKE_SOURCE_DIR}/src/config/config.cpp
  ${CMAKE_SOURCE_DIR}/src/config/conninfo.cpp
  ${CMAKE_SOURCE_DIR}/src/config/settings.cpp
  ${CMAKE_SOURCE_DIR}/src/notify/placeholders.cpp
  ${CMAKE_SOURCE_DIR}/src/util/conninfo_syntax.cpp
  ${CMAKE_SOURCE_DIR}/src/util/mask.cpp
  ${CMAKE_SOURCE_DIR}/src/util/process.cpp)
# The library is instrumented for coverage but has no main; each target links
# libFuzzer's main through -fsanitize=fuzzer.
add_library(fuzz_core STATIC ${FUZZ_SOURCES})
target_include_directories(fuzz_core PUBLIC ${CMAKE_SOURCE_DIR}/src)
target_compile_options(fuzz_core PUBLIC -fsanitize=fuzzer-no-link,address,undefined
                       -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
target_link_options(fuzz_core PUBLIC -fsanitize=address,undefined)
target_link_libraries(fuzz_core PUBLIC PkgConfig::LIBPQ fmt::fmt-header-only)
foreach(target fuzz_config fuzz_conninfo)
  add_executable(${target} ${CMAKE_SOURCE_DIR}/tests/fuzz/${target}.cpp)
  target_compile_options(${target} PRIVATE ${FUZZ_FLAGS})
  target_link_options(${target} PRIVATE ${FUZZ_FLAGS})
  target_link_libraries(${target} PRIVATE fuzz_core)
endforeach()
