#pragma once
// A tiny POSIX sh word splitter for the fuzz targets: enough of the shell's
// quoting rules to tell whether a command line is plain literal words, and
// which. Anything the shell would expand or treat as syntax (unquoted or
// double-quoted $ and `, unquoted ; & | < > ( ) newline, globs, a leading # or
// ~) makes the line "not plain": a quoted value must never produce one.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace repmgr::fuzz {

inline std::optional<std::vector<std::string>> plain_sh_words(std::string_view line) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    for (size_t i = 0; i < line.size(); ++i) {
        char ch = line[i];
        if (ch == ' ' || ch == '\t') {
            if (in_word) words.push_back(word);
            word.clear();
            in_word = false;
            continue;
        }
        if (!in_word && (ch == '#' || ch == '~')) return std::nullopt;
        if (ch == '\'') {
            size_t end = line.find('\'', i + 1);
            if (end == std::string_view::npos) return std::nullopt;
            word.append(line.substr(i + 1, end - i - 1));
            i = end;
        } else if (ch == '"') {
            size_t j = i + 1;
            for (; j < line.size() && line[j] != '"'; ++j) {
                char c = line[j];
                if (c == '$' || c == '`') return std::nullopt;
                if (c == '\\' && j + 1 < line.size() &&
                    std::string_view("$`\"\\\n").find(line[j + 1]) != std::string_view::npos) {
                    if (line[j + 1] != '\n') word += line[j + 1];
                    ++j;
                    continue;
                }
                word += c;
            }
            if (j >= line.size()) return std::nullopt;
            i = j;
        } else if (ch == '\\') {
            if (i + 1 >= line.size()) return std::nullopt;
            if (line[i + 1] != '\n') word += line[i + 1];
            ++i;
        } else if (std::string_view("$`;&|<>()\n*?[").find(ch) != std::string_view::npos) {
            return std::nullopt;
        } else {
            word += ch;
        }
        in_word = true;
    }
    if (in_word) words.push_back(word);
    return words;
}

}  // namespace repmgr::fuzz
