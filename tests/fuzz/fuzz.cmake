# Included by the top-level CMakeLists.txt when REPMGR_FUZZ is ON.
set(FUZZ_FLAGS -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer)
set(FUZZ_SOURCES
  ${CMAKE_SOURCE_DIR}/src/config/client_allow.cpp
  ${CMAKE_SOURCE_DIR}/src/config/config.cpp
  ${CMAKE_SOURCE_DIR}/src/config/etcd_settings.cpp
  ${CMAKE_SOURCE_DIR}/src/config/repmgr5_settings.cpp
  ${CMAKE_SOURCE_DIR}/src/config/conninfo.cpp
  ${CMAKE_SOURCE_DIR}/src/config/settings.cpp
  ${CMAKE_SOURCE_DIR}/src/notify/placeholders.cpp
  ${CMAKE_SOURCE_DIR}/src/util/conninfo_syntax.cpp
  ${CMAKE_SOURCE_DIR}/src/util/mask.cpp
  ${CMAKE_SOURCE_DIR}/src/util/process.cpp
  ${CMAKE_SOURCE_DIR}/src/util/guc_value.cpp
  ${CMAKE_SOURCE_DIR}/src/util/lsn.cpp
  ${CMAKE_SOURCE_DIR}/src/pg/rewind.cpp
  ${CMAKE_SOURCE_DIR}/src/pg/rsync_clone.cpp
  ${CMAKE_SOURCE_DIR}/src/pg/ssh.cpp
  ${CMAKE_SOURCE_DIR}/src/pg/datadir.cpp
  ${CMAKE_SOURCE_DIR}/src/util/log.cpp
  ${CMAKE_SOURCE_DIR}/src/cluster/replication.cpp)
file(GLOB FUZZ_DB_SOURCES ${CMAKE_SOURCE_DIR}/src/db/*.cpp)
list(APPEND FUZZ_SOURCES ${FUZZ_DB_SOURCES})
file(GLOB FUZZ_HTTP_SOURCES ${CMAKE_SOURCE_DIR}/src/daemon/http/*.cpp)
list(APPEND FUZZ_SOURCES ${FUZZ_HTTP_SOURCES} ${CMAKE_SOURCE_DIR}/src/util/http_module.cpp)
# The HTTP module's objects go straight into fuzz_http (below): from an
# archive, the loader's weak reference would not pull them in.
file(GLOB FUZZ_HTTP_MODULE_SOURCES ${CMAKE_SOURCE_DIR}/src/util/http/*.cpp)
# The library is instrumented for coverage but has no main; each target links
# libFuzzer's main through -fsanitize=fuzzer.
add_library(fuzz_core STATIC ${FUZZ_SOURCES})
target_include_directories(fuzz_core PUBLIC ${CMAKE_SOURCE_DIR}/src)
target_compile_options(fuzz_core PUBLIC -fsanitize=fuzzer-no-link,address,undefined
                       -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
target_link_options(fuzz_core PUBLIC -fsanitize=address,undefined)
target_link_libraries(fuzz_core PUBLIC PkgConfig::LIBPQ fmt::fmt-header-only
                      nlohmann_json::nlohmann_json Threads::Threads PkgConfig::HTTPLIB OpenSSL::SSL
                      ${CMAKE_DL_LIBS})
foreach(target fuzz_config fuzz_conninfo fuzz_guc fuzz_pgfiles fuzz_http)
  add_executable(${target} ${CMAKE_SOURCE_DIR}/tests/fuzz/${target}.cpp)
  target_compile_options(${target} PRIVATE ${FUZZ_FLAGS})
  target_link_options(${target} PRIVATE ${FUZZ_FLAGS})
  target_link_libraries(${target} PRIVATE fuzz_core)
endforeach()
target_sources(fuzz_http PRIVATE ${FUZZ_HTTP_MODULE_SOURCES})
