# Fails when a doctest TEST_CASE name contains ';'. doctest_discover_tests hands each name to CTest through a
# CMake list, which splits it at ';': each half becomes a CTest entry whose --test-case filter matches no test
# case, and doctest reports such a run, with nothing run, as a success. A test named that way never runs.
#
#   cmake -DTESTS_DIR=<tests/> -P check_test_names.cmake
file(GLOB_RECURSE sources "${TESTS_DIR}/*.cpp" "${TESTS_DIR}/*.hpp")
set(bad_files "")
foreach(f IN LISTS sources)
    file(READ "${f}" content)
    string(REGEX MATCH "TEST_CASE\\([ \t\r\n]*\"[^\"\n]*;" found "${content}")
    if(found)
        list(APPEND bad_files "${f}")
    endif()
endforeach()
if(bad_files)
    list(JOIN bad_files "\n  " listed)
    message(FATAL_ERROR "TEST_CASE names with ';' (CTest would never run them; use ',' instead) in:\n  ${listed}")
endif()
list(LENGTH sources n)
message(STATUS "${n} test sources checked: no TEST_CASE name contains ';'")
