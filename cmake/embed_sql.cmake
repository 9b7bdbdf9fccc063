# Turns a .sql file into a C++ translation unit holding it as a raw string.
file(READ ${INPUT} CONTENT)
file(WRITE ${OUTPUT} "// generated from sql/schema.sql; do not edit\n"
  "#include <string_view>\n"
  "namespace repmgr::sql {\n"
  "extern const std::string_view kSchema;\n"
  "const std::string_view kSchema = R\"__sql__(${CONTENT})__sql__\";\n"
  "}\n")
