#pragma once
// The `.env` file read in development (12-factor: real environment variables always win over it).
//
// Accepted syntax, one assignment per line:
//   KEY=value                 unquoted; surrounding blanks trimmed; " #..." starts a comment
//   export KEY=value          the shell's `export ` prefix is allowed
//   KEY="a \"quoted\" value"  double quotes: \n \r \t \" \\ escapes; may be followed by a comment
//   KEY='literal $value'      single quotes: taken literally
//   # comment, blank lines
// Anything else is an error naming the line, rather than a silently ignored setting.

#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace codd::api {

using EnvMap = std::map<std::string, std::string, std::less<>>;

class DotenvError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Parses the text of a .env file. Later assignments of the same key win. Throws DotenvError.
EnvMap parse_dotenv(std::string_view text);

}  // namespace codd::api
