// JPEG decode/encode straight through libjpeg(-turbo): header-only probing (so huge images are
// refused before any pixel is allocated), CMYK/YCCK conversion, BGR output without a copy.
#include "common.hpp"
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <jpeglib.h>
#include <jerror.h>

namespace {

struct ErrorManager {
    jpeg_error_mgr pub;
    jmp_buf jump;
    char message[JMSG_LENGTH_MAX];
    bool fatal_warning;
};

void on_error(j_common_ptr cinfo) {
    auto *err = reinterpret_cast<ErrorManager *>(cinfo->err);
    (*cinfo->err->format_message)(cinfo, err->message);
    longjmp(err->jump, 1);
}

// Warnings that mean the picture is incomplete or garbage are errors here; harmless ones
// (e.g. extraneous bytes before a marker, common in camera files) are ignored. Never printed.
void on_message(j_common_ptr cinfo, int level) {
    auto *err = reinterpret_cast<ErrorManager *>(cinfo->err);
    if (level >= 0) return;  // trace messages
    int code = cinfo->err->msg_code;
    if (code == JWRN_JPEG_EOF || code == JWRN_HUFF_BAD_CODE || code == JWRN_MUST_RESYNC ||
        code == JWRN_NOT_SEQUENTIAL || code == JWRN_BOGUS_PROGRESSION) {
        if (!err->fatal_warning) (*cinfo->err->format_message)(cinfo, err->message);
        err->fatal_warning = true;
    }
}

void install(jpeg_decompress_struct &cinfo, ErrorManager &err) {
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = on_error;
    err.pub.emit_message = on_message;
    err.message[0] = 0;
    err.fatal_warning = false;
}

// The EXIF orientation (1-8; 1 when absent or unreadable), from the first APP1 "Exif" segment
// that libjpeg kept while reading the header (jpeg_save_markers): libjpeg finds and bounds the
// segment; this reads one 16-bit entry of the TIFF structure's first directory (IFD0).
// Why not more of a library: libjpeg-turbo (2.1 here, and TurboJPEG 3) does not interpret EXIF;
// OpenCV 4.6 applies the orientation only inside cv::imdecode/imread (its ExifReader is not public
// API), which would then decode the pixels too, and its JPEG decoder accepts a truncated file
// without an error (grey rows) and treats every CMYK file as Adobe-inverted, where this decoder
// refuses the one and reads both kinds of the other; libexif would be a new run-time dependency
// (with a parser for every maker note) for one field.
int exif_orientation(const jpeg_decompress_struct &cinfo) {
    for (jpeg_saved_marker_ptr m = cinfo.marker_list; m; m = m->next) {
        if (m->marker != JPEG_APP0 + 1 || m->data_length < 14 || std::memcmp(m->data, "Exif\0\0", 6) != 0) continue;
        const JOCTET *t = m->data + 6;  // the TIFF header: byte order, 42, offset of IFD0
        const size_t n = m->data_length - 6;
        bool little;
        if (t[0] == 'I' && t[1] == 'I') little = true;
        else if (t[0] == 'M' && t[1] == 'M') little = false;
        else return 1;
        auto u16 = [&](size_t o, uint32_t &v) {
            if (o > n || n - o < 2) return false;
            v = little ? t[o] | (uint32_t(t[o + 1]) << 8) : (uint32_t(t[o]) << 8) | t[o + 1];
            return true;
        };
        uint32_t lo = 0, hi = 0, count = 0;
        if (!u16(little ? 4 : 6, lo) || !u16(little ? 6 : 4, hi)) return 1;
        const size_t ifd = lo | (size_t(hi) << 16);
        if (!u16(ifd, count)) return 1;
        for (uint32_t k = 0; k < count && k < 512; ++k) {  // entries: tag, type, count, value (12 bytes)
            const size_t e = ifd + 2 + 12 * size_t(k);
            uint32_t tag = 0, type = 0, value = 0;
            if (!u16(e, tag)) return 1;
            if (tag != 0x0112) continue;
            if (!u16(e + 2, type) || type != 3 || !u16(e + 8, value)) return 1;  // SHORT, inline
            return value >= 1 && value <= 8 ? int(value) : 1;
        }
        return 1;
    }
    return 1;
}

}  // namespace

extern "C" int fsx_jpeg_header(const uint8_t *data, size_t size, int32_t *width, int32_t *height,
                               int32_t *components, int32_t *orientation) {
    jpeg_decompress_struct cinfo;
    ErrorManager err;
    install(cinfo, err);
    jpeg_create_decompress(&cinfo);
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        std::string m = std::string("corrupt JPEG header: ") + err.message;
        return fsx::fail(FS_ERR_DECODE, m);
    }
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    if (orientation) jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);
    *width = (int32_t)cinfo.image_width;
    *height = (int32_t)cinfo.image_height;
    *components = cinfo.num_components;
    if (orientation) *orientation = exif_orientation(cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

extern "C" int fsx_jpeg_decode(const uint8_t *data, size_t size, fsx_view dst) {
    jpeg_decompress_struct cinfo;
    ErrorManager err;
    install(cinfo, err);
    // volatile: set after setjmp and freed after a longjmp, so its value must live in memory
    // (a register copy from before the malloc would leak the row).
    JSAMPLE *volatile cmyk_row = nullptr;
    jpeg_create_decompress(&cinfo);
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&cinfo);
        free(cmyk_row);
        std::string m = std::string("corrupt JPEG data: ") + err.message;
        return fsx::fail(FS_ERR_DECODE, m);
    }
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if ((int32_t)cinfo.image_width != dst.width || (int32_t)cinfo.image_height != dst.height) {
        jpeg_destroy_decompress(&cinfo);
        return fsx::fail(FS_ERR_INTERNAL, "JPEG decode: destination size differs from the header");
    }
    bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    if (dst.format == 1) cinfo.out_color_space = JCS_GRAYSCALE;
    else if (cmyk) cinfo.out_color_space = JCS_CMYK;
    else cinfo.out_color_space = JCS_EXT_BGR;
    jpeg_start_decompress(&cinfo);
    if (cmyk && dst.format != 1) {
        cmyk_row = (JSAMPLE *)malloc((size_t)cinfo.output_width * 4);
        if (!cmyk_row) longjmp(err.jump, 1);
    }
    // Adobe writes inverted CMYK; then R = C·K/255 (and likewise G from M, B from Y).
    bool inverted = cinfo.saw_Adobe_marker;
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *row = (uint8_t *)dst.data + (size_t)cinfo.output_scanline * dst.stride;
        if (JSAMPLE *cr = cmyk_row) {
            JSAMPROW rows[1] = {cr};
            jpeg_read_scanlines(&cinfo, rows, 1);
            for (JDIMENSION x = 0; x < cinfo.output_width; ++x) {
                int c = cr[4 * x], m = cr[4 * x + 1], y = cr[4 * x + 2], k = cr[4 * x + 3];
                if (!inverted) { c = 255 - c; m = 255 - m; y = 255 - y; k = 255 - k; }
                row[3 * x + 0] = (uint8_t)((y * k + 127) / 255);
                row[3 * x + 1] = (uint8_t)((m * k + 127) / 255);
                row[3 * x + 2] = (uint8_t)((c * k + 127) / 255);
            }
        } else {
            JSAMPROW rows[1] = {row};
            jpeg_read_scanlines(&cinfo, rows, 1);
        }
        if (err.fatal_warning) break;
    }
    if (err.fatal_warning) {
        jpeg_destroy_decompress(&cinfo);
        free(cmyk_row);
        std::string m = std::string("corrupt or truncated JPEG: ") + err.message;
        return fsx::fail(FS_ERR_DECODE, m);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(cmyk_row);
    if (err.fatal_warning) {
        std::string m = std::string("corrupt or truncated JPEG: ") + err.message;
        return fsx::fail(FS_ERR_DECODE, m);
    }
    return 0;
}

extern "C" int fsx_jpeg_encode(fsx_view src, int quality, uint8_t **out, size_t *out_size) {
    jpeg_compress_struct cinfo;
    ErrorManager err;
    cinfo.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = on_error;
    err.pub.emit_message = [](j_common_ptr, int) {};
    err.message[0] = 0;
    unsigned char *buffer = nullptr;
    unsigned long length = 0;
    jpeg_create_compress(&cinfo);
    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&cinfo);
        free(buffer);
        std::string m = std::string("JPEG encode failed: ") + err.message;
        return fsx::fail(FS_ERR_INTERNAL, m);
    }
    jpeg_mem_dest(&cinfo, &buffer, &length);
    cinfo.image_width = (JDIMENSION)src.width;
    cinfo.image_height = (JDIMENSION)src.height;
    switch (src.format) {
    case 1: cinfo.input_components = 1; cinfo.in_color_space = JCS_GRAYSCALE; break;
    case 2: cinfo.input_components = 3; cinfo.in_color_space = JCS_EXT_BGR; break;
    case 3: cinfo.input_components = 3; cinfo.in_color_space = JCS_EXT_RGB; break;
    case 4: cinfo.input_components = 4; cinfo.in_color_space = JCS_EXT_BGRX; break;
    default: cinfo.input_components = 4; cinfo.in_color_space = JCS_EXT_RGBX; break;
    }
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW rows[1] = {(JSAMPROW)((uint8_t *)src.data + (size_t)cinfo.next_scanline * src.stride)};
        jpeg_write_scanlines(&cinfo, rows, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *out = buffer;
    *out_size = length;
    return 0;
}
