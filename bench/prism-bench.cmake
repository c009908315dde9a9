# prism-bench, the synthetic-peer harness (included by bench/CMakeLists.txt).
#
#   prism_bench   its pieces as a library, for the Criterion tests in tests/test_bench_*.c
#   prism-bench   the program

file(GLOB PRISM_BENCH_LIB_SRC CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/pb_*.c)
add_library(prism_bench STATIC ${PRISM_BENCH_LIB_SRC})
prism_target_defaults(prism_bench)
target_link_libraries(prism_bench PUBLIC prism_core PkgConfig::LIBEV PkgConfig::JANSSON m)

add_executable(prism-bench ${CMAKE_CURRENT_LIST_DIR}/prism-bench.c)
prism_target_defaults(prism-bench)
target_link_libraries(prism-bench PRIVATE prism_bench prism_alloc)
