// Video files through the real ffmpeg libraries: decode every frame with its own timestamp,
// encode H.264 with the same timestamps (variable frame rate kept), copy the audio untouched.
// Frames are read upright, as ffmpeg's own tools show and transcode them: a stream whose display
// matrix (the container's, as phones write portrait video, or the first frame's own, from an
// H.264/HEVC display orientation SEI) turns or mirrors its stored pictures is read at its display
// size, each frame turned accordingly, and written upright with no matrix.
#include "common.hpp"
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <deque>
#include <dlfcn.h>
#include <link.h>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

namespace {

std::string averr(int e) {
    char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
    av_strerror(e, buf, sizeof buf);
    return buf;
}

// How the stored pictures are shown (libavutil/display.h's matrix, reduced to the eight turns and
// mirrors of the pixel grid): the stored pixel (p, q) is shown at (a p + c q, b p + d q), moved
// into the frame; each of a, b, c, d is -1, 0 or 1, and either b = c = 0 or a = d = 0.
struct Orientation {
    int a = 1, b = 0, c = 0, d = 1;
    bool identity() const { return a == 1 && d == 1; }
    bool transposes() const { return a == 0; }
};

// A display matrix as an Orientation: identity when there is none, or when it is not a quarter
// turn or mirror of the grid (a skew, or a turn by another angle: shown as stored).
Orientation orientation_of(const int32_t *m) {
    Orientation o;
    if (!m) return o;
    const double v[4] = {m[0] / 65536.0, m[1] / 65536.0, m[3] / 65536.0, m[4] / 65536.0};  // a, b, c, d
    const double s = std::max({std::fabs(v[0]), std::fabs(v[1]), std::fabs(v[2]), std::fabs(v[3])});
    if (!(s > 0)) return o;
    int k[4];
    for (int i = 0; i < 4; i++) {
        const double r = v[i] / s;
        if (std::fabs(r) < 1e-3) k[i] = 0;
        else if (std::fabs(std::fabs(r) - 1) < 1e-3) k[i] = r > 0 ? 1 : -1;
        else return o;  // not a quarter turn
    }
    const bool straight = k[0] && k[3] && !k[1] && !k[2], turned = !k[0] && !k[3] && k[1] && k[2];
    if (!straight && !turned) return o;
    o.a = k[0], o.b = k[1], o.c = k[2], o.d = k[3];
    return o;
}

// The stream's display matrix (the container's: an MP4 track header's), NULL if none.
const int32_t *stream_matrix(const AVStream *st) {
#if LIBAVFORMAT_VERSION_MAJOR >= 61
    const AVPacketSideData *sd = av_packet_side_data_get(st->codecpar->coded_side_data, st->codecpar->nb_coded_side_data,
                                                         AV_PKT_DATA_DISPLAYMATRIX);
    return sd && sd->size >= 9 * sizeof(int32_t) ? reinterpret_cast<const int32_t *>(sd->data) : nullptr;
#else
    size_t size = 0;
    const int32_t *m = reinterpret_cast<const int32_t *>(av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &size));
    return size >= 9 * sizeof(int32_t) ? m : nullptr;
#endif
}

// A decoded frame's display matrix (the codec's own: H.264/HEVC display orientation SEI), NULL if none.
const int32_t *frame_matrix(const AVFrame *f) {
    const AVFrameSideData *sd = av_frame_get_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX);
    return sd && sd->size >= 9 * sizeof(int32_t) ? reinterpret_cast<const int32_t *>(sd->data) : nullptr;
}

// dst (the shown size: w x h, or h x w when o transposes) from src (w x h), pixels of N bytes;
// in tiles, so that a transposition reads and writes cache lines whole.
template <int N>
void orient(const uint8_t *src, ptrdiff_t sstride, int w, int h, uint8_t *dst, ptrdiff_t dstride, const Orientation &o) {
    const int dw = o.transposes() ? h : w, dh = o.transposes() ? w : h;
    const ptrdiff_t sp = (ptrdiff_t)o.a * N + (ptrdiff_t)o.b * dstride;  // dst's step for p + 1
    const ptrdiff_t sq = (ptrdiff_t)o.c * N + (ptrdiff_t)o.d * dstride;  // and for q + 1
    uint8_t *origin = dst + (o.a < 0 || o.c < 0 ? (ptrdiff_t)(dw - 1) * N : 0) +
                      (o.b < 0 || o.d < 0 ? (ptrdiff_t)(dh - 1) * dstride : 0);
    constexpr int T = 64;
    for (int q0 = 0; q0 < h; q0 += T) {
        const int q1 = std::min(h, q0 + T);
        for (int p0 = 0; p0 < w; p0 += T) {
            const int p1 = std::min(w, p0 + T);
            for (int q = q0; q < q1; q++) {
                const uint8_t *s = src + (ptrdiff_t)q * sstride + (ptrdiff_t)p0 * N;
                uint8_t *d = origin + (ptrdiff_t)p0 * sp + (ptrdiff_t)q * sq;
                for (int p = p0; p < p1; p++, s += N, d += sp) std::memcpy(d, s, N);
            }
        }
    }
}

// ---- colour matrices ----
//
// A stream's YUV samples mean RGB through the matrix its colour tag names: BT.709 for HD video,
// BT.2020 for HDR and UHD, BT.601 for SD and for untagged streams (as ffmpeg's tools and swscale
// take them). The frames are converted to BGR through the stream's own matrix, and the swapped
// regions back through the same one, so the BGR pixels the library works on (and hands out, as
// faces extracted from a video) are what ffmpeg shows, and a BT.709 clip's output is BT.709 in
// and out of the swapped regions.

// A decoded picture's colour matrix tag, else its stream's.
AVColorSpace frame_tag(const AVFrame *f, const AVCodecContext *dec) {
    return f->colorspace != AVCOL_SPC_UNSPECIFIED ? f->colorspace : dec->colorspace;
}

// swscale's matrix (SWS_CS_*) for a stream's colour matrix tag.
int sws_matrix(AVColorSpace tag) {
    switch (tag) {
    case AVCOL_SPC_BT709: return SWS_CS_ITU709;
    case AVCOL_SPC_FCC: return SWS_CS_FCC;
    case AVCOL_SPC_SMPTE240M: return SWS_CS_SMPTE240M;
    case AVCOL_SPC_BT2020_NCL: case AVCOL_SPC_BT2020_CL: return SWS_CS_BT2020;
    default: return SWS_CS_DEFAULT;  // BT.601 (BT470BG, SMPTE170M), untagged, RGB
    }
}

// Makes context c read YUV through the matrix table `from` and write YUV through `to` (SWS_CS_*
// coefficients from sws_getCoefficients; nullptr: keep the context's own), its YUV input taken as
// full range when `full` (only ever raised: the yuvj and grey formats are full range by
// themselves). Told only when c does not have them already (a new context, or tags that
// changed). False if swscale refuses.
bool sws_matrices(SwsContext *c, const int *from, const int *to, bool full) {
    int *inv = nullptr, *table = nullptr, src_range = 0, dst_range = 0, bri = 0, con = 0, sat = 0;
    if (sws_getColorspaceDetails(c, &inv, &src_range, &table, &dst_range, &bri, &con, &sat) < 0) return false;
    const int *want_inv = from ? from : inv, *want_table = to ? to : table;
    const int range = src_range || full;
    if (range == src_range && std::memcmp(inv, want_inv, 4 * sizeof(int)) == 0 &&
        std::memcmp(table, want_table, 4 * sizeof(int)) == 0)
        return true;
    return sws_setColorspaceDetails(c, want_inv, range, want_table, dst_range, bri, con, sat) >= 0;
}

// BGR -> limited-range Y'CbCr in 15-bit fixed point: Y = Kr R + Kg G + Kb B scaled to 219 levels,
// Cb and Cr the scaled differences B - Y and R - Y (224 levels). BT.601's come out as swscale's
// own table for SWS_CS_DEFAULT.
struct YuvCoefficients {
    int32_t ry, gy, by, ru, gu, bu, rv, gv, bv;
};
YuvCoefficients yuv_coefficients(int matrix) {
    double kr = 0.299, kb = 0.114;
    switch (matrix) {
    case SWS_CS_ITU709: kr = 0.2126, kb = 0.0722; break;
    case SWS_CS_FCC: kr = 0.30, kb = 0.11; break;
    case SWS_CS_SMPTE240M: kr = 0.212, kb = 0.087; break;
    case SWS_CS_BT2020: kr = 0.2627, kb = 0.0593; break;
    default: break;
    }
    const double kg = 1 - kr - kb, y = 219.0 / 255 * 32768, c = 224.0 / 255 * 32768;
    auto q = [](double v) { return (int32_t)std::lround(v); };
    return {q(kr * y), q(kg * y), q(kb * y),
            q(-kr / (2 * (1 - kb)) * c), q(-kg / (2 * (1 - kb)) * c), q(0.5 * c),
            q(0.5 * c), q(-kg / (2 * (1 - kr)) * c), q(-kb / (2 * (1 - kr)) * c)};
}

struct Reader {
    AVFormatContext *fmt = nullptr;
    AVCodecContext *dec = nullptr;
    SwsContext *sws = nullptr;
    AVFrame *frame = nullptr;
    AVFrame *bgr = nullptr;  // padded: swscale may write past the end of an exact-size row
    AVPacket *pkt = nullptr;
    int vstream = -1, astream = -1;
    Orientation orientation;  // of the stream's pictures (see Orientation)
    int coded_w = 0, coded_h = 0;  // the pictures' stored size
    int matrix = SWS_CS_DEFAULT;   // the YUV matrix (SWS_CS_*) of the first frame: the writer's too
    int width = 0, height = 0;     // the frames' size: shown upright (fsx_video_info's)
    AVFrame *stored = nullptr;     // a turned frame's BGR before it is turned (stored size, padded)
    bool pending = false;          // open decoded the first frame (`frame`) or failed to (`first`): not yet returned
    int first = 0;                 // receive()'s result for it
    bool draining = false, done = false;
    bool keep_audio = true;        // false when the writer copies no audio: its packets are dropped
    std::mutex audio_mu;           // audio is filled by next() and drained by the writer: two threads
    std::deque<AVPacket *> audio;  // read but not yet written
    ~Reader() {
        for (auto *p : audio) av_packet_free(&p);
        sws_freeContext(sws);
        av_frame_free(&frame);
        av_frame_free(&bgr);
        av_frame_free(&stored);
        av_packet_free(&pkt);
        avcodec_free_context(&dec);
        avformat_close_input(&fmt);
    }
};

struct Writer {
    Reader *reader = nullptr;
    AVFormatContext *oc = nullptr;
    AVCodecContext *enc = nullptr;
    AVStream *vst = nullptr, *ast = nullptr;
    SwsContext *sws = nullptr;
    AVFrame *yuv = nullptr;
    AVFrame *bgr = nullptr;  // padded copy of the input: swscale may read past a row's end
    AVPacket *pkt = nullptr;
    std::map<int64_t, int64_t> durations;  // pts -> duration, for the packets
    std::vector<uint8_t> planes;           // bgr_to_yuv420p's two rows, deinterleaved
    int matrix = SWS_CS_DEFAULT;           // the YUV matrix written (SWS_CS_*)
    YuvCoefficients coefficients = yuv_coefficients(SWS_CS_DEFAULT);
    int frame_w = 0, frame_h = 0;  // the frames' size (the encoder's, or one more when odd)
    bool header = false;
    int audio = FSX_AUDIO_ALL;
    // FSX_AUDIO_SPAN: the written frames' span in seconds (set by the frames written so far).
    double span_from = 0, span_to = 0;
    bool span_started = false;
    ~Writer() {
        sws_freeContext(sws);
        av_frame_free(&yuv);
        av_frame_free(&bgr);
        av_packet_free(&pkt);
        avcodec_free_context(&enc);
        if (oc) {
            if (oc->pb) avio_closep(&oc->pb);
            avformat_free_context(oc);
        }
    }
};

int drain_encoder(Writer *w) {
    for (;;) {
        int r = avcodec_receive_packet(w->enc, w->pkt);
        if (r == AVERROR(EAGAIN) || r == AVERROR_EOF) return 0;
        if (r < 0) return fsx::fail(FS_ERR_IO, "video encode: " + averr(r));
        auto it = w->durations.find(w->pkt->pts);
        if (it != w->durations.end()) {
            w->pkt->duration = it->second;
            w->durations.erase(it);
        }
        av_packet_rescale_ts(w->pkt, w->enc->time_base, w->vst->time_base);
        w->pkt->stream_index = w->vst->index;
        r = av_interleaved_write_frame(w->oc, w->pkt);
        if (r < 0) return fsx::fail(FS_ERR_IO, "video write: " + averr(r));
    }
}

// Unscaled swscale conversions work in blocks of pixels: they are given our own rows (no copy
// through a padded frame) only when a row is whole blocks and the rows are 16-byte aligned.
bool direct_rows(const fsx_view &v) {
    return v.width % 16 == 0 && (uintptr_t)v.data % 16 == 0 && v.stride % 16 == 0;
}

// The frames are converted once each way between the codec's YUV 4:2:0 and the swap's BGR, with
// swscale's SIMD paths (SWS_ACCURATE_RND would turn them off at 4-7× the cost: the round trip is
// 53 dB PSNR instead of 60). The swap job converts back only the regions it changed: the rest of
// the decoded picture is encoded as it came (fsx_vwriter_write with a decoded picture).
constexpr int kToBGR = SWS_BILINEAR | SWS_FULL_CHR_H_INT;
constexpr int kToYUV = SWS_BILINEAR;

// BGR24 -> YUV 4:2:0 (limited range, through k: the matrix the decoder's conversion used), for a
// frame of the encoder's own size. swscale's unscaled path for this pair
// (bgr24ToYv12) is not vectorised: 1.7 ms a 720p frame, 3.8 ms at 1080p on the project's machine,
// 4x its YUV -> BGR direction. This one deinterleaves two rows into planes so that the compiler
// vectorises every loop (AVX2: 0.5 ms and 1.2 ms), rounds (swscale's fast path truncates luma),
// and takes each chroma sample from the mean of its 2x2 pixels. Against swscale's
// SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP conversion of a 720p frame of the bench clip: Y 72 dB,
// U 64 dB, V 62 dB; swscale's fast path: 53, 54, 57 dB. Needs an even width and height.
#if defined(__AVX2__)
constexpr bool kOwnToYUV = true;
#else
constexpr bool kOwnToYUV = false;  // baseline x86-64 (FS_PORTABLE): scalar code, slower than swscale
#endif

// Converts src into dst's planes at (x0, y0) (both even; src's width and height even too): the
// whole frame, or one region of it (see fsx_vwriter_write).
void bgr_to_yuv420p(const fsx_view &src, AVFrame *dst, const YuvCoefficients &k, std::vector<uint8_t> &scratch,
                    int x0 = 0, int y0 = 0) {
    constexpr int S = 15;  // k's fixed point
    const int32_t RY = k.ry, GY = k.gy, BY = k.by, RU = k.ru, GU = k.gu, BU = k.bu, RV = k.rv, GV = k.gv, BV = k.bv;
    constexpr int32_t kY = (16 << S) + (1 << (S - 1)), kC = (128 << (S + 2)) + (1 << (S + 1));
    const int W = src.width, H = src.height;
    scratch.resize((size_t)6 * W);
    uint8_t *pl = scratch.data();
    for (int j = 0; j + 1 < H; j += 2) {
        for (int k = 0; k < 2; k++) {
            const uint8_t *__restrict s = (const uint8_t *)src.data + (size_t)(j + k) * src.stride;
            uint8_t *__restrict b = pl + (size_t)(3 * k) * W, *__restrict g = b + W, *__restrict r = g + W;
            for (int i = 0; i < W; i++) {
                b[i] = s[3 * i];
                g[i] = s[3 * i + 1];
                r[i] = s[3 * i + 2];
            }
            uint8_t *__restrict y = dst->data[0] + (size_t)(y0 + j + k) * dst->linesize[0] + x0;
            for (int i = 0; i < W; i++) y[i] = (uint8_t)((RY * r[i] + GY * g[i] + BY * b[i] + kY) >> S);
        }
        const uint8_t *__restrict b0 = pl, *__restrict g0 = pl + W, *__restrict r0 = pl + 2 * W;
        const uint8_t *__restrict b1 = pl + 3 * W, *__restrict g1 = pl + 4 * W, *__restrict r1 = pl + 5 * W;
        uint8_t *__restrict u = dst->data[1] + (size_t)((y0 + j) / 2) * dst->linesize[1] + x0 / 2;
        uint8_t *__restrict v = dst->data[2] + (size_t)((y0 + j) / 2) * dst->linesize[2] + x0 / 2;
        for (int i = 0; i < W / 2; i++) {
            int r = r0[2 * i] + r0[2 * i + 1] + r1[2 * i] + r1[2 * i + 1];
            int g = g0[2 * i] + g0[2 * i + 1] + g1[2 * i] + g1[2 * i + 1];
            int b = b0[2 * i] + b0[2 * i + 1] + b1[2 * i] + b1[2 * i + 1];
            u[i] = (uint8_t)((RU * r + GU * g + BU * b + kC) >> (S + 2));
            v[i] = (uint8_t)((RV * r + GV * g + BV * b + kC) >> (S + 2));
        }
    }
}

// A packet's time in seconds (its pts, else its dts).
double packet_seconds(const AVPacket *p, AVRational tb) {
    int64_t t = p->pts != AV_NOPTS_VALUE ? p->pts : p->dts;
    return t == AV_NOPTS_VALUE ? 0 : t * av_q2d(tb);
}

// Writes the audio packets the reader has queued. FSX_AUDIO_SPAN: those before the span are
// dropped, and those at or after its current end wait for later frames (at the end, `final`,
// they are dropped).
int write_audio(Writer *w, bool final = false) {
    Reader *rd = w->reader;
    for (;;) {
        AVPacket *p = nullptr;
        {
            std::lock_guard<std::mutex> lock(rd->audio_mu);
            if (rd->audio.empty()) break;
            p = rd->audio.front();
            if (w->audio == FSX_AUDIO_SPAN && !final &&
                (!w->span_started || packet_seconds(p, rd->fmt->streams[rd->astream]->time_base) >= w->span_to))
                break;  // not yet known to be inside the span
            rd->audio.pop_front();
        }
        if (w->audio == FSX_AUDIO_SPAN) {
            double t = packet_seconds(p, rd->fmt->streams[rd->astream]->time_base);
            if (t < w->span_from || t >= w->span_to) {
                av_packet_free(&p);
                continue;
            }
        }
        if (w->ast) {
            av_packet_rescale_ts(p, rd->fmt->streams[rd->astream]->time_base, w->ast->time_base);
            p->stream_index = w->ast->index;
            p->pos = -1;
            int r = av_interleaved_write_frame(w->oc, p);
            if (r < 0) {
                av_packet_free(&p);
                return fsx::fail(FS_ERR_IO, "audio write: " + averr(r));
            }
        }
        av_packet_free(&p);
    }
    return 0;
}

// Decodes the next frame into r->frame: 0, AVERROR_EOF at the end, or another AVERROR.
int receive(Reader *r) {
    for (;;) {
        int e = avcodec_receive_frame(r->dec, r->frame);
        if (e == 0 || e == AVERROR_EOF || e != AVERROR(EAGAIN)) return e;
        if (r->draining) return AVERROR_EOF;
        e = av_read_frame(r->fmt, r->pkt);
        if (e < 0) {  // end of file (or a read error: treat as the end, as players do)
            r->draining = true;
            avcodec_send_packet(r->dec, nullptr);
            continue;
        }
        if (r->pkt->stream_index == r->vstream) {
            e = avcodec_send_packet(r->dec, r->pkt);
            av_packet_unref(r->pkt);
            if (e < 0 && e != AVERROR(EAGAIN) && e != AVERROR_INVALIDDATA) return e;
        } else if (r->pkt->stream_index == r->astream && r->keep_audio) {
            {
                std::lock_guard<std::mutex> lock(r->audio_mu);
                r->audio.push_back(av_packet_clone(r->pkt));
            }
            av_packet_unref(r->pkt);
        } else {
            av_packet_unref(r->pkt);
        }
    }
}

}  // namespace

extern "C" void *fsx_vreader_open(const char *path, fsx_video_info *info, int threads) {
    FSX_GUARD_PTR("video", FS_ERR_DECODE, {
        av_log_set_level(AV_LOG_QUIET);
        auto r = std::make_unique<Reader>();
        int e = avformat_open_input(&r->fmt, path, nullptr, nullptr);
        if (e < 0) {
            fsx::fail(e == AVERROR(ENOENT) ? FS_ERR_IO : FS_ERR_DECODE,
                      std::string("cannot open video '") + path + "': " + averr(e));
            return nullptr;
        }
        if ((e = avformat_find_stream_info(r->fmt, nullptr)) < 0) {
            fsx::fail(FS_ERR_DECODE, std::string("'") + path + "' is not a readable video: " + averr(e));
            return nullptr;
        }
        r->vstream = av_find_best_stream(r->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
        if (r->vstream < 0) {
            fsx::fail(FS_ERR_DECODE, std::string("'") + path + "' has no video stream");
            return nullptr;
        }
        r->astream = av_find_best_stream(r->fmt, AVMEDIA_TYPE_AUDIO, -1, r->vstream, nullptr, 0);
        AVStream *vs = r->fmt->streams[r->vstream];
        const AVCodec *codec = avcodec_find_decoder(vs->codecpar->codec_id);
        if (!codec) {
            fsx::fail(FS_ERR_UNSUPPORTED, std::string("no decoder for the video codec of '") + path + "'");
            return nullptr;
        }
        r->dec = avcodec_alloc_context3(codec);
        avcodec_parameters_to_context(r->dec, vs->codecpar);
        r->dec->thread_count = threads > 0 ? threads : 0;
        if ((e = avcodec_open2(r->dec, codec, nullptr)) < 0) {
            fsx::fail(FS_ERR_DECODE, "cannot open the video decoder: " + averr(e));
            return nullptr;
        }
        if (r->dec->width <= 0 || r->dec->height <= 0) {
            fsx::fail(FS_ERR_DECODE, std::string("'") + path + "' has a video stream of unknown size");
            return nullptr;
        }
        r->frame = av_frame_alloc();
        r->pkt = av_packet_alloc();
        if (!r->frame || !r->pkt) { fsx::fail(FS_ERR_OUT_OF_MEMORY, "video frame"); return nullptr; }
        r->coded_w = r->dec->width;
        r->coded_h = r->dec->height;
        // The first frame, decoded now: its own display matrix (H.264/HEVC display orientation
        // SEI), if it has one, says how the video is shown rather than the container's, as in
        // ffmpeg's tools. next() returns it (or its error) first.
        r->first = receive(r.get());
        r->pending = true;
        r->matrix = sws_matrix(r->first == 0 ? frame_tag(r->frame, r->dec) : r->dec->colorspace);
        const int32_t *m = r->first == 0 ? frame_matrix(r->frame) : nullptr;
        r->orientation = orientation_of(m ? m : stream_matrix(vs));
        r->width = r->orientation.transposes() ? r->coded_h : r->coded_w;
        r->height = r->orientation.transposes() ? r->coded_w : r->coded_h;
        info->width = r->width;
        info->height = r->height;
        info->frames = vs->nb_frames;
        AVRational fr = vs->avg_frame_rate.num ? vs->avg_frame_rate : vs->r_frame_rate;
        info->fps = fr.num && fr.den ? av_q2d(fr) : 0;
        info->duration = r->fmt->duration > 0 ? r->fmt->duration / (double)AV_TIME_BASE : 0;
        if (info->frames <= 0 && info->fps > 0) info->frames = (int64_t)(info->duration * info->fps + 0.5);
        info->has_audio = r->astream >= 0;
        return r.release();
    })
}

// A frame of w x h in `format` with its buffer, or null (nothing left allocated) when memory runs
// out. BGR24 rows are aligned to 64 bytes (swscale's SIMD), others to libav's default.
static AVFrame *new_frame(AVPixelFormat format, int w, int h) {
    AVFrame *f = av_frame_alloc();
    if (!f) return nullptr;
    f->format = format;
    f->width = w;
    f->height = h;
    if (av_frame_get_buffer(f, format == AV_PIX_FMT_BGR24 ? 64 : 0) < 0) av_frame_free(&f);
    return f;
}

extern "C" int fsx_vreader_next(void *handle, fsx_view dst, int64_t *pts, int64_t *duration,
                                double *seconds, int *eof, void **decoded) {
    FSX_GUARD("video decode", {
        auto *r = static_cast<Reader *>(handle);
        *eof = 0;
        if (decoded) *decoded = nullptr;
        // The first frame was decoded by open (or its error kept for here).
        const int e = r->pending ? r->first : receive(r);
        r->pending = false;
        if (e == AVERROR_EOF) { *eof = 1; return 0; }
        if (e < 0) return fsx::fail(FS_ERR_DECODE, "video decode: " + averr(e));
        AVFrame *f = r->frame;
        AVFrame *turned = nullptr;  // the picture turned upright (below), when it is turned as decoded
        // A failure after the decode: the frame (and a turned copy) released, then the status.
        auto bail = [&](int status, const std::string &message) {
            av_frame_free(&turned);
            av_frame_unref(f);
            return fsx::fail(status, message);
        };
        if (f->width != r->coded_w || f->height != r->coded_h || dst.width != r->width || dst.height != r->height)
            return bail(FS_ERR_UNSUPPORTED, "the video changes size mid-stream; that is not supported");
        const Orientation &o = r->orientation;
        // A turned 8-bit 4:2:0 picture (even sizes: each chroma sample keeps its 2x2 pixels) is
        // turned as it is, plane by plane, before its conversion: the decoded picture a writer
        // keeps outside the swapped regions is then upright too (exactly the decoder's samples).
        if (!o.identity() && (f->format == AV_PIX_FMT_YUV420P || f->format == AV_PIX_FMT_YUVJ420P) &&
            f->width % 2 == 0 && f->height % 2 == 0) {
            turned = new_frame((AVPixelFormat)f->format, r->width, r->height);
            if (!turned || av_frame_copy_props(turned, f) < 0) return bail(FS_ERR_OUT_OF_MEMORY, "video frame");
            for (int k = 0; k < 3; k++)
                orient<1>(f->data[k], f->linesize[k], k ? f->width / 2 : f->width, k ? f->height / 2 : f->height,
                          turned->data[k], turned->linesize[k], o);
        }
        const AVFrame *src = turned ? turned : f;
        // Other pictures are converted at their stored size and the BGR pixels turned.
        const bool turn_bgr = !o.identity() && !turned;
        if (turn_bgr && !r->stored && !(r->stored = new_frame(AV_PIX_FMT_BGR24, r->coded_w, r->coded_h)))
            return bail(FS_ERR_OUT_OF_MEMORY, "video frame");
        r->sws = sws_getCachedContext(r->sws, src->width, src->height, (AVPixelFormat)src->format, src->width,
                                      src->height, AV_PIX_FMT_BGR24, kToBGR, nullptr, nullptr, nullptr);
        if (!r->sws)
            return bail(FS_ERR_UNSUPPORTED, "video decode: no conversion to BGR from pixel format " + std::to_string(src->format));
        // The picture's matrix (see sws_matrix), and full-range samples in a format swscale takes
        // as limited (only the yuvj formats say full range by themselves: a 10-bit or 4:2:2
        // full-range picture is yuv420p10 etc. with color_range pc): told, or its blacks and
        // whites would be clipped and its contrast stretched.
        sws_matrices(r->sws, sws_getCoefficients(sws_matrix(frame_tag(src, r->dec))), nullptr,
                     src->color_range == AVCOL_RANGE_JPEG);
        if (turn_bgr) {
            sws_scale(r->sws, src->data, src->linesize, 0, src->height, r->stored->data, r->stored->linesize);
            orient<3>(r->stored->data[0], r->stored->linesize[0], r->coded_w, r->coded_h, (uint8_t *)dst.data,
                      (ptrdiff_t)dst.stride, o);
        } else if (direct_rows(dst)) {
            uint8_t *planes[4] = {(uint8_t *)dst.data, nullptr, nullptr, nullptr};
            int strides[4] = {(int)dst.stride, 0, 0, 0};
            sws_scale(r->sws, src->data, src->linesize, 0, src->height, planes, strides);
        } else {
            if (!r->bgr && !(r->bgr = new_frame(AV_PIX_FMT_BGR24, dst.width, dst.height))) return bail(FS_ERR_OUT_OF_MEMORY, "video frame");
            sws_scale(r->sws, src->data, src->linesize, 0, src->height, r->bgr->data, r->bgr->linesize);
            av_image_copy_plane((uint8_t *)dst.data, (int)dst.stride, r->bgr->data[0], r->bgr->linesize[0],
                                dst.width * 3, dst.height);
        }
        AVRational tb = r->fmt->streams[r->vstream]->time_base;
        int64_t t = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
        *pts = t == AV_NOPTS_VALUE ? 0 : t;
        *duration = f->pkt_duration;
        *seconds = *pts * av_q2d(tb);
        // The decoded picture itself, for a writer that keeps it outside the swapped regions: only
        // limited-range YUV 4:2:0, what the writer encodes (a reference, not a copy).
        if (decoded && src->format == AV_PIX_FMT_YUV420P && src->color_range != AVCOL_RANGE_JPEG)
            *decoded = turned ? turned : av_frame_clone(f);
        if (!decoded || *decoded != turned) av_frame_free(&turned);
        av_frame_unref(f);
        return 0;
    })
}

extern "C" void fsx_vreader_close(void *reader) { delete static_cast<Reader *>(reader); }

extern "C" void fsx_vframe_free(void *decoded) {
    AVFrame *f = static_cast<AVFrame *>(decoded);
    av_frame_free(&f);
}

// x264's instruction sets without AVX-512, as its "asm" parameter (a number: x264's own CPU
// flags), or "" when x264 would not use AVX-512 here or cannot be asked. On a CPU with AVX-512
// (x264 0.164, Debian's, on an AMD EPYC), x264 reads memory it never wrote: the same frames,
// encoded twice in one process, came out different whenever the heap held other data between
// the two encodes (4 of 6 jobs in one Python process; never in a fresh process, which is why
// `ffmpeg` itself looks reproducible). Without AVX-512 every encode gave the same bytes, 12 of 12
// on a dirtied heap, at the same speed (a 720p transcode 0.74-0.85 s against 0.77-0.91 s). Same
// bytes for the same input is what a cluster's retry and a chunked job rely on. The flags come
// from the libx264 that libavcodec loaded (x264_cpu_detect, and x264_cpu_names for the AVX-512
// bit), found among the loaded objects (also a wheel's renamed copy): this module is linked
// against libavcodec, not x264.
std::string x264_asm_without_avx512() {
    struct CpuName { const char *name; uint32_t flags; };  // x264.h's x264_cpu_name_t
    static const std::string value = [] {
        std::string path;
        dl_iterate_phdr([](dl_phdr_info *info, size_t, void *out) {
            // libx264.so.N, or a wheel's renamed copy (auditwheel: libx264-<hash>.so.N)
            const char *name = info->dlpi_name ? strrchr(info->dlpi_name, '/') : nullptr;
            if (name && strncmp(name + 1, "libx264", 7) == 0 && (name[8] == '.' || name[8] == '-') &&
                strstr(name, ".so")) {
                *static_cast<std::string *>(out) = info->dlpi_name;
                return 1;
            }
            return 0;
        }, &path);
        void *lib = path.empty() ? nullptr : dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
        if (!lib) return std::string();
        auto detect = reinterpret_cast<uint32_t (*)()>(dlsym(lib, "x264_cpu_detect"));
        auto names = static_cast<const CpuName *>(dlsym(lib, "x264_cpu_names"));
        uint32_t avx2 = 0, avx512 = 0;
        for (int i = 0; names && i < 64 && names[i].name; i++) {
            if (strcmp(names[i].name, "AVX2") == 0) avx2 = names[i].flags;
            if (strcmp(names[i].name, "AVX512") == 0) avx512 = names[i].flags;
        }
        const uint32_t bit = avx512 & ~avx2, cpu = detect ? detect() : 0;
        dlclose(lib);
        if (!bit || !(cpu & bit)) return std::string();
        return "asm=" + std::to_string(cpu & ~bit);
    }();
    return value;
}

extern "C" void *fsx_vwriter_open(const char *path, void *reader, int width, int height, int crf,
                                   const char *preset, int threads, int audio) {
    FSX_GUARD_PTR("video", FS_ERR_IO, {
        auto *rd = static_cast<Reader *>(reader);
        auto w = std::make_unique<Writer>();
        w->reader = rd;
        w->audio = audio;
        rd->keep_audio = audio != FSX_AUDIO_NONE;
        int e = avformat_alloc_output_context2(&w->oc, nullptr, nullptr, path);
        if (e < 0 || !w->oc) {
            // The path is the job's temporary name: only its extension says anything to the user.
            const std::string name = path, dot = name.rfind('.') == std::string::npos ? "" : name.substr(name.rfind('.'));
            fsx::fail(FS_ERR_UNSUPPORTED, "unknown container '" + dot + "' (use .mp4, .mkv or .mov)");
            return nullptr;
        }
        const AVCodec *codec = avcodec_find_encoder_by_name("libx264");
        if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_H264);
        if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_MPEG4);
        if (!codec) { fsx::fail(FS_ERR_UNSUPPORTED, "no H.264 or MPEG-4 encoder in this ffmpeg build"); return nullptr; }
        AVStream *ivs = rd->fmt->streams[rd->vstream];
        // A container that cannot hold H.264 (WebM: VP8/VP9/AV1 only), or the input's audio codec:
        // said before anything is written, with what to use instead (also when the muxer refuses
        // the audio only as it writes the header, below).
        const std::string container = w->oc->oformat->name;
        if (avformat_query_codec(w->oc->oformat, codec->id, FF_COMPLIANCE_NORMAL) == 0) {
            const std::string video = codec->id == AV_CODEC_ID_H264 ? "H.264" : avcodec_get_name(codec->id);
            fsx::fail(FS_ERR_UNSUPPORTED, "a " + container + " file cannot hold " + video + " video (use .mp4, .mkv or .mov)");
            return nullptr;
        }
        if (rd->astream >= 0 && audio != FSX_AUDIO_NONE) {
            const AVCodecID id = rd->fmt->streams[rd->astream]->codecpar->codec_id;
            if (avformat_query_codec(w->oc->oformat, id, FF_COMPLIANCE_NORMAL) == 0) {
                fsx::fail(FS_ERR_UNSUPPORTED, std::string("the input's ") + avcodec_get_name(id) +
                                                " audio cannot be copied into a " + container +
                                                " file (use .mkv, which holds any audio)");
                return nullptr;
            }
        }
        w->enc = avcodec_alloc_context3(codec);
        // H.264 in 4:2:0 needs an even width and height: a frame with an odd one is written
        // without its last column or row (as ffmpeg users crop; 1281x721 -> 1280x720).
        w->frame_w = width > 0 ? width : rd->width;
        w->frame_h = height > 0 ? height : rd->height;
        w->enc->width = w->frame_w & ~1;
        w->enc->height = w->frame_h & ~1;
        if (w->enc->width < 2 || w->enc->height < 2) {
            fsx::fail(FS_ERR_UNSUPPORTED, "a video frame of " + std::to_string(w->frame_w) + "x" +
                                            std::to_string(w->frame_h) + " is too small to encode");
            return nullptr;
        }
        w->enc->pix_fmt = AV_PIX_FMT_YUV420P;
        w->enc->time_base = ivs->time_base;
        AVRational fr = ivs->avg_frame_rate.num ? ivs->avg_frame_rate : ivs->r_frame_rate;
        if (fr.num && fr.den) w->enc->framerate = fr;
        if (width <= 0) {  // a turned picture's pixels are turned too
            AVRational sar = rd->dec->sample_aspect_ratio;
            w->enc->sample_aspect_ratio = rd->orientation.transposes() && sar.num && sar.den ? av_make_q(sar.den, sar.num) : sar;
        }
        w->enc->color_range = AVCOL_RANGE_MPEG;
        // The colour tags of the input's pictures: the samples written are the input's (converted
        // both ways with one matrix, and kept as decoded outside the swapped regions), in limited
        // range, so its matrix, primaries and transfer still describe them (a BT.709 clip stays
        // BT.709; an HDR clip's BT.2020 PQ/HLG samples, now 8-bit, are still PQ/HLG: untagged,
        // players would show them as SDR BT.709, washed out). An RGB or unknown matrix: untagged.
        // Frames of another size (reenact's, drawn from a photo): untagged, as the photo is.
        // The pictures are converted back through the matrix they were read with (sws_matrix).
        if (width <= 0 && height <= 0) {
            w->matrix = rd->matrix;
            switch (rd->dec->colorspace) {
            case AVCOL_SPC_BT709: case AVCOL_SPC_BT470BG: case AVCOL_SPC_SMPTE170M: case AVCOL_SPC_SMPTE240M:
            case AVCOL_SPC_BT2020_NCL: case AVCOL_SPC_BT2020_CL: case AVCOL_SPC_FCC:
                w->enc->colorspace = rd->dec->colorspace;
                break;
            default:
                break;
            }
            w->enc->color_primaries = rd->dec->color_primaries;
            w->enc->color_trc = rd->dec->color_trc;
        }
        w->coefficients = yuv_coefficients(w->matrix);
        w->enc->thread_count = threads > 0 ? threads : 0;
        if (w->oc->oformat->flags & AVFMT_GLOBALHEADER) w->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
        if (std::string(codec->name) == "libx264") {
            av_opt_set(w->enc->priv_data, "preset", preset && *preset ? preset : "veryfast", 0);
            av_opt_set(w->enc->priv_data, "crf", std::to_string(crf).c_str(), 0);
            if (const std::string cpu = x264_asm_without_avx512(); !cpu.empty())
                av_opt_set(w->enc->priv_data, "x264-params", cpu.c_str(), 0);
        } else {
            w->enc->bit_rate = 4000000;
        }
        if ((e = avcodec_open2(w->enc, codec, nullptr)) < 0) {
            fsx::fail(FS_ERR_IO, "cannot open the video encoder: " + averr(e));
            return nullptr;
        }
        w->vst = avformat_new_stream(w->oc, nullptr);
        avcodec_parameters_from_context(w->vst->codecpar, w->enc);
        w->vst->time_base = w->enc->time_base;
        w->vst->avg_frame_rate = ivs->avg_frame_rate;
        w->vst->r_frame_rate = ivs->r_frame_rate;
        if (rd->astream >= 0 && audio != FSX_AUDIO_NONE) {
            AVStream *ias = rd->fmt->streams[rd->astream];
            w->ast = avformat_new_stream(w->oc, nullptr);
            avcodec_parameters_copy(w->ast->codecpar, ias->codecpar);
            w->ast->codecpar->codec_tag = 0;
            w->ast->time_base = ias->time_base;
        }
        if (!(w->oc->oformat->flags & AVFMT_NOFILE)) {
            if ((e = avio_open(&w->oc->pb, path, AVIO_FLAG_WRITE)) < 0) {
                fsx::fail(FS_ERR_IO, std::string("cannot create '") + path + "': " + averr(e));
                return nullptr;
            }
        }
        // MP4/MOV: edit lists (a first frame after time 0, as in a part of a video) in the video's own
        // time base rather than the default milliseconds, so every timestamp stays exact.
        if (ivs->time_base.num == 1 && w->oc->priv_data && av_opt_find(w->oc->priv_data, "movie_timescale", nullptr, 0, 0))
            av_opt_set_int(w->oc->priv_data, "movie_timescale", ivs->time_base.den, 0);
        if ((e = avformat_write_header(w->oc, nullptr)) < 0) {
            if (e == AVERROR(EINVAL) && w->ast)  // a muxer's own rule (ffmpeg 5.1's mov: Opus only in .mp4)
                fsx::fail(FS_ERR_UNSUPPORTED, "cannot write the video header (" + averr(e) + "): the input's " +
                                                avcodec_get_name(w->ast->codecpar->codec_id) + " audio may not fit a " +
                                                container + " file (use .mkv, which holds any audio)");
            else
                fsx::fail(FS_ERR_IO, "cannot write the video header: " + averr(e));
            return nullptr;
        }
        w->header = true;
        w->yuv = new_frame(AV_PIX_FMT_YUV420P, w->enc->width, w->enc->height);
        w->pkt = av_packet_alloc();
        if (!w->yuv || !w->pkt) { fsx::fail(FS_ERR_OUT_OF_MEMORY, "video frame"); return nullptr; }
        return w.release();
    })
}

extern "C" int fsx_vwriter_write(void *handle, fsx_view frame, void *decoded, const int32_t *regions,
                                 int nregions, int64_t pts, int64_t duration) {
    FSX_GUARD("video encode", {
        auto *w = static_cast<Writer *>(handle);
        if (frame.width == w->frame_w && frame.height == w->frame_h) {  // an odd last column or row: dropped
            frame.width = w->enc->width;
            frame.height = w->enc->height;
        }
        int e = av_frame_make_writable(w->yuv);
        if (e < 0) return fsx::fail(FS_ERR_OUT_OF_MEMORY, "video frame: " + averr(e));
        const AVFrame *base = static_cast<const AVFrame *>(decoded);
        const bool same = frame.width == w->enc->width && frame.height == w->enc->height;
        if (kOwnToYUV && same && base && base->format == AV_PIX_FMT_YUV420P && base->width == frame.width &&
            base->height == frame.height) {
            // The decoded picture as it came, and only the regions that changed converted back:
            // the pixels outside them are the decoder's exactly. Each region is widened to even
            // edges (a chroma sample covers 2x2 pixels) and clipped to the frame.
            if ((e = av_frame_copy(w->yuv, base)) < 0) return fsx::fail(FS_ERR_INTERNAL, "video frame copy: " + averr(e));
            // Regions may overlap (faces side by side): each pair of rows converts the union of
            // the regions' spans on it, so no sample is converted twice.
            std::vector<std::array<int, 4>> rects;  // x0, y0, x1, y1, even
            for (int k = 0; k < nregions; k++) {
                const int32_t *q = regions + 4 * k;
                int x0 = std::max(0, q[0]) & ~1, y0 = std::max(0, q[1]) & ~1;
                int x1 = std::min(frame.width, (std::min(frame.width, q[0] + q[2]) + 1) & ~1);
                int y1 = std::min(frame.height, (std::min(frame.height, q[1] + q[3]) + 1) & ~1);
                if (x1 - x0 >= 2 && y1 - y0 >= 2) rects.push_back({x0, y0, x1, y1});
            }
            std::vector<std::pair<int, int>> spans;
            for (int y = 0; y + 1 < frame.height && !rects.empty(); y += 2) {
                spans.clear();
                for (const auto &r : rects)
                    if (y >= r[1] && y < r[3]) spans.push_back({r[0], r[2]});
                std::sort(spans.begin(), spans.end());
                for (size_t i = 0; i < spans.size();) {
                    int x0 = spans[i].first, x1 = spans[i].second;
                    for (i++; i < spans.size() && spans[i].first <= x1; i++) x1 = std::max(x1, spans[i].second);
                    fsx_view part = frame;
                    part.data = (uint8_t *)frame.data + (size_t)y * frame.stride + 3 * (size_t)x0;
                    part.width = x1 - x0;
                    part.height = 2;
                    bgr_to_yuv420p(part, w->yuv, w->coefficients, w->planes, x0, y);
                }
            }
        } else if (kOwnToYUV && same) {
            bgr_to_yuv420p(frame, w->yuv, w->coefficients, w->planes);
        } else if ((w->sws = sws_getCachedContext(w->sws, frame.width, frame.height, AV_PIX_FMT_BGR24, w->enc->width,
                                                  w->enc->height, AV_PIX_FMT_YUV420P, kToYUV, nullptr, nullptr,
                                                  nullptr)) == nullptr) {
            return fsx::fail(FS_ERR_UNSUPPORTED, "video encode: no BGR to YUV conversion for this size");
        } else if (!sws_matrices(w->sws, nullptr, sws_getCoefficients(w->matrix), false)) {
            return fsx::fail(FS_ERR_UNSUPPORTED, "video encode: swscale refused the colour matrix");
        } else if (direct_rows(frame)) {
            const uint8_t *planes[4] = {(const uint8_t *)frame.data, nullptr, nullptr, nullptr};
            int strides[4] = {(int)frame.stride, 0, 0, 0};
            sws_scale(w->sws, planes, strides, 0, frame.height, w->yuv->data, w->yuv->linesize);
        } else {
            if (!w->bgr && !(w->bgr = new_frame(AV_PIX_FMT_BGR24, frame.width, frame.height)))
                return fsx::fail(FS_ERR_OUT_OF_MEMORY, "video frame");
            av_image_copy_plane(w->bgr->data[0], w->bgr->linesize[0], (const uint8_t *)frame.data,
                                (int)frame.stride, frame.width * 3, frame.height);
            sws_scale(w->sws, w->bgr->data, w->bgr->linesize, 0, frame.height, w->yuv->data, w->yuv->linesize);
        }
        w->yuv->pts = pts;
        if (duration > 0) w->durations[pts] = duration;
        AVRational tb = w->enc->time_base;
        if (!w->span_started) w->span_from = pts * av_q2d(tb);
        w->span_started = true;
        w->span_to = (pts + (duration > 0 ? duration : 0)) * av_q2d(tb);
        if ((e = avcodec_send_frame(w->enc, w->yuv)) < 0) return fsx::fail(FS_ERR_IO, "video encode: " + averr(e));
        if (int r = drain_encoder(w)) return r;
        return write_audio(w);
    })
}

extern "C" int fsx_vwriter_finish(void *handle) {
    std::unique_ptr<Writer> w(static_cast<Writer *>(handle));
    FSX_GUARD("video finish", {
        avcodec_send_frame(w->enc, nullptr);
        if (int r = drain_encoder(w.get())) return r;
        // The rest of the audio: read the input to its end (FSX_AUDIO_SPAN: to the span's end).
        Reader *rd = w->reader;
        while (w->ast && av_read_frame(rd->fmt, rd->pkt) >= 0) {
            bool past = false;
            if (rd->pkt->stream_index == rd->astream) {
                past = w->audio == FSX_AUDIO_SPAN &&
                       packet_seconds(rd->pkt, rd->fmt->streams[rd->astream]->time_base) >= w->span_to;
                std::lock_guard<std::mutex> lock(rd->audio_mu);
                rd->audio.push_back(av_packet_clone(rd->pkt));
            }
            av_packet_unref(rd->pkt);
            if (past) break;
        }
        if (int r = write_audio(w.get(), true)) return r;
        int e = av_write_trailer(w->oc);
        if (e < 0) return fsx::fail(FS_ERR_IO, "video trailer: " + averr(e));
        if (w->oc->pb) {
            avio_flush(w->oc->pb);
            if (w->oc->pb->error < 0) return fsx::fail(FS_ERR_IO, "video write: " + averr(w->oc->pb->error));
            e = avio_closep(&w->oc->pb);
            if (e < 0) return fsx::fail(FS_ERR_IO, "video close: " + averr(e));
        }
        return 0;
    })
}

extern "C" void fsx_vwriter_abort(void *handle) { delete static_cast<Writer *>(handle); }
