# The codec's decode+intern micro-benchmark and its fuzz targets (included by
# bench/CMakeLists.txt).
#
#   bench-decode         decode + intern throughput; see docs/benchmarks.md
#   fuzz-decode-replay   the fuzz target with a main() that runs files, for tests/fuzz-smoke.sh
#   fuzz-decode          the libFuzzer target, only with -DPRISM_FUZZ=ON and clang

set(PRISM_FUZZ_SRC ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_decode.c)

add_executable(bench-decode ${CMAKE_CURRENT_LIST_DIR}/bench-decode.c)
prism_target_defaults(bench-decode)
target_link_libraries(bench-decode PRIVATE prism_core prism_alloc)

add_executable(fuzz-decode-replay ${PRISM_FUZZ_SRC})
prism_target_defaults(fuzz-decode-replay)
target_compile_definitions(fuzz-decode-replay PRIVATE FUZZ_REPLAY_MAIN)
target_link_libraries(fuzz-decode-replay PRIVATE prism_core prism_alloc)

if(PRISM_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "PRISM_FUZZ=ON needs clang for libFuzzer, but the C compiler is "
                        "${CMAKE_C_COMPILER_ID}. Configure a fresh build folder with CC=clang.")
  endif()
  if(PRISM_SANITIZE STREQUAL "thread")
    message(FATAL_ERROR "PRISM_FUZZ=ON uses ASan and UBSan; it cannot be combined with "
                        "PRISM_SANITIZE=thread.")
  endif()
  # Extra flags go last, so that a known, reported finding can be masked for a long run
  # (for example -fno-sanitize=pointer-overflow) without hiding everything else.
  set(PRISM_FUZZ_EXTRA_FLAGS "" CACHE STRING "Extra compile flags for the fuzz build")
  set(PRISM_FUZZ_SAN -fsanitize=address,undefined -fno-sanitize-recover=all
                     -fno-omit-frame-pointer -g ${PRISM_FUZZ_EXTRA_FLAGS})

  # The fuzzer needs coverage feedback from the code under test, so the codec is built
  # again here, instrumented, rather than reusing prism_core.
  file(GLOB PRISM_CORE_FUZZ_SRC CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/core/*.c
       ${PROJECT_SOURCE_DIR}/rib/*.c ${PROJECT_SOURCE_DIR}/io/*.c)
  list(REMOVE_ITEM PRISM_CORE_FUZZ_SRC ${PROJECT_SOURCE_DIR}/core/main.c)
  add_library(prism_core_fuzz STATIC ${PRISM_CORE_FUZZ_SRC})
  prism_target_defaults(prism_core_fuzz)
  target_compile_options(prism_core_fuzz PRIVATE -fsanitize=fuzzer-no-link ${PRISM_FUZZ_SAN})
  target_link_libraries(prism_core_fuzz PUBLIC PkgConfig::URCU PkgConfig::URCU_CDS
                                               PkgConfig::XXHASH PkgConfig::JANSSON
                                               PkgConfig::YAML PkgConfig::LIBEV PkgConfig::MHD
                                               Threads::Threads)

  add_executable(fuzz-decode ${PRISM_FUZZ_SRC})
  prism_target_defaults(fuzz-decode)
  target_compile_options(fuzz-decode PRIVATE -fsanitize=fuzzer ${PRISM_FUZZ_SAN})
  target_link_options(fuzz-decode PRIVATE -fsanitize=fuzzer ${PRISM_FUZZ_SAN})
  target_link_libraries(fuzz-decode PRIVATE prism_core_fuzz)
endif()

# The RIB shard micro-benchmark (load, replace, withdraw per prefix); docs/benchmarks.md.
add_executable(bench-rib ${CMAKE_CURRENT_LIST_DIR}/bench-rib.c)
prism_target_defaults(bench-rib)
target_link_libraries(bench-rib PRIVATE prism_core prism_alloc)
