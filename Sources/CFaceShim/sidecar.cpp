// The JSON sidecar of an extracted face (NAME.json beside NAME.png), written and read with
// nlohmann::json (header-only: nothing is added to what libfaceswap.so links). A real parser, so
// that anything but a well-formed document of the right shape is refused with the reason and
// where, and source paths of any content are escaped and read back exactly.
#include "common.hpp"
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>

namespace {

using json = nlohmann::ordered_json;  // keeps the fields in the order written

struct Bad {
    std::string message;
};

const char *kind(const json &v) {
    switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "true or false";
    case json::value_t::string: return "a string";
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    case json::value_t::binary: return "binary";
    case json::value_t::discarded: return "invalid";
    default: return "a number";
    }
}

const json *field(const json &doc, const char *key, bool required) {
    auto it = doc.find(key);
    if (it == doc.end()) {
        if (required) throw Bad{std::string("no \"") + key + "\""};
        return nullptr;
    }
    return &*it;
}

double number(const json &v, const std::string &what) {
    if (!v.is_number()) throw Bad{what + " is " + kind(v) + ", not a number"};
    const double d = v.get<double>();
    if (!std::isfinite(d)) throw Bad{what + " is not a finite number"};
    return d;
}

int64_t integer(const json &v, const std::string &what, int64_t lo, int64_t hi) {
    const double d = number(v, what);
    if (d != std::floor(d)) throw Bad{what + " is " + v.dump() + ", not a whole number"};
    if (d < double(lo) || d > double(hi))
        throw Bad{what + " is " + v.dump() + ", outside " + std::to_string(lo) + "-" + std::to_string(hi)};
    return int64_t(d);
}

void numbers(const json &v, const std::string &what, double *out, size_t count) {
    if (!v.is_array()) throw Bad{what + " is " + kind(v) + ", not an array of " + std::to_string(count) + " numbers"};
    if (v.size() != count)
        throw Bad{what + " has " + std::to_string(v.size()) + (v.size() == 1 ? " entry" : " entries") + ", not " +
                  std::to_string(count)};
    for (size_t i = 0; i < count; ++i) out[i] = number(v[i], what + "[" + std::to_string(i) + "]");
}

char *copy(const std::string &s) {
    char *p = static_cast<char *>(std::malloc(s.size() + 1));
    if (!p) throw std::bad_alloc();
    std::memcpy(p, s.c_str(), s.size() + 1);
    return p;
}

}  // namespace

extern "C" int fsx_sidecar_write(const char *source, const fsx_sidecar *s, char **out, size_t *out_size) {
    FSX_GUARD("face sidecar", {
        if (!source || !s || !out || !out_size) return fsx::fail(FS_ERR_INVALID_ARGUMENT, "face sidecar: bad arguments");
        json doc;
        doc["source"] = source;
        doc["frame"] = s->frame;
        doc["face"] = s->face;
        doc["size"] = s->size;
        doc["padding"] = s->padding;
        doc["transform"] = json::array();
        for (double v : s->transform) doc["transform"].push_back(v);
        doc["sharpness"] = s->sharpness;
        json points = json::array();
        for (int i = 0; i < FSX_SIDECAR_POINTS; ++i)
            points.push_back(json::array({s->landmarks[2 * i], s->landmarks[2 * i + 1]}));
        doc["landmarks"] = std::move(points);
        // Invalid UTF-8 in the source (not possible from Swift strings) becomes U+FFFD, not an error.
        const std::string text = doc.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
        *out = copy(text);
        *out_size = text.size();
        return 0;
    })
}

extern "C" int fsx_sidecar_read(const char *text, size_t size, fsx_sidecar *s, char **source) {
    FSX_GUARD("face sidecar", {
        if ((!text && size) || !s || !source) return fsx::fail(FS_ERR_INVALID_ARGUMENT, "face sidecar: bad arguments");
        *source = nullptr;
        try {
            json doc;
            try {
                doc = json::parse(text, text + size);
            } catch (const json::exception &e) {
                // A syntax error or a number out of range ("[json.exception.parse_error.101] parse error
                // at line 1, column 9: ...", "...out_of_range.406] number overflow ..."), without the tag.
                std::string m = e.what();
                const size_t tag = m.find("] ");
                throw Bad{"not valid JSON: " + (tag == std::string::npos ? m : m.substr(tag + 2))};
            }
            if (!doc.is_object()) throw Bad{std::string("the document is ") + kind(doc) + ", not an object"};
            fsx_sidecar r{};
            r.frame = -1;
            r.size = integer(*field(doc, "size", true), "\"size\"", 1, 1 << 15);
            const json &padding = *field(doc, "padding", true);
            r.padding = number(padding, "\"padding\"");
            if (r.padding < 0 || r.padding > 0.45) throw Bad{"\"padding\" is " + padding.dump() + ", outside 0-0.45"};
            numbers(*field(doc, "transform", true), "\"transform\"", r.transform, 6);
            const json &lm = *field(doc, "landmarks", true);
            if (!lm.is_array()) throw Bad{std::string("\"landmarks\" is ") + kind(lm) + ", not an array of [x, y] points"};
            if (lm.size() != FSX_SIDECAR_POINTS)
                throw Bad{"\"landmarks\" holds " + std::to_string(lm.size()) + " points, not " + std::to_string(FSX_SIDECAR_POINTS)};
            for (size_t i = 0; i < lm.size(); ++i)
                numbers(lm[i], "\"landmarks\"[" + std::to_string(i) + "]", r.landmarks + 2 * i, 2);
            // Optional: what a reader needs nothing of, but must be of the right type when present.
            if (const json *v = field(doc, "frame", false)) r.frame = integer(*v, "\"frame\"", -1, INT64_C(1) << 40);
            if (const json *v = field(doc, "face", false)) r.face = integer(*v, "\"face\"", 0, 1 << 20);
            if (const json *v = field(doc, "sharpness", false)) r.sharpness = number(*v, "\"sharpness\"");
            std::string src;
            if (const json *v = field(doc, "source", false)) {
                if (!v->is_string()) throw Bad{std::string("\"source\" is ") + kind(*v) + ", not a string"};
                src = v->get<std::string>();
            }
            *source = copy(src);
            *s = r;
            return 0;
        } catch (const Bad &bad) {
            return fsx::fail(FS_ERR_DECODE, bad.message);
        }
    })
}
