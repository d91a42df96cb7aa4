#include "config/os/key_file.hpp"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include "config/os/config_file.hpp"

namespace ntplite::config {

std::expected<LoadedKeys, std::vector<std::string>> load_key_file(const std::string& path) {
    auto text = read_small_file(path, auth::kMaxKeyFileBytes);
    if (!text) return std::unexpected(std::vector<std::string>{path + ": " + text.error()});
    auto parsed = auth::parse_key_file(*text, path);
    OPENSSL_cleanse(text->data(), text->size());
    if (!parsed) {
        std::vector<std::string> errs;
        for (const auto& e : parsed.error()) errs.push_back(auth::to_string(e));
        return std::unexpected(std::move(errs));
    }
    LoadedKeys out;
    out.keys = std::make_shared<const auth::KeySet>(std::move(*parsed));
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IROTH) != 0)
        out.warnings.push_back(path +
                               ": readable by every user; keys should be mode 0640 or "
                               "stricter");
    return out;
}

}  // namespace ntplite::config
