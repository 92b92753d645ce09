// The landmark-driven generator (the second learned method): a U-Net that draws person B's face
// from a rendering of 68 landmarks (fsx_lgan_render), trained with L1 + SSIM reconstruction and a
// least-squares patch discriminator that judges (landmark map, face) pairs, pix2pix-like. Losses
// are learned.cpp's; the handle is a learned.hpp Base, so fsx_ae_train_step / run / save /
// describe / free serve it as they serve the autoencoder (`which` is ignored: one generator).
#include "learned.hpp"
#include "pool.hpp"
#include <opencv2/imgproc.hpp>
#include <sstream>

namespace {
using namespace fsx::learn;

// Skip connections: the encoder's outputs at S/2, S/4, S/8 (e*) are concatenated with the
// decoder's at the same resolution (d*). dlib's concat_ copies tagged outputs along channels.
template <typename SUB> using e1 = add_tag_layer<201, SUB>;
template <typename SUB> using e2 = add_tag_layer<202, SUB>;
template <typename SUB> using e3 = add_tag_layer<203, SUB>;
template <typename SUB> using d1 = add_tag_layer<211, SUB>;
template <typename SUB> using d2 = add_tag_layer<212, SUB>;
template <typename SUB> using d3 = add_tag_layer<213, SUB>;

// S×S×5 map -> S/2 ×32 -> S/4 ×64 -> S/8 ×128 -> S/16 ×256 -> up, with skips, -> S×S×4
// (B, G, R, mask), sigmoid. Fully convolutional: the same layers serve 64 and 128 px.
template <template <typename> class E, template <typename> class D, long N, typename SUB>
using up_skip = concat2<E, D, D<up<N, SUB>>>;
using Contracting = down<256, e3<down<128, e2<down<64, e1<down<32, input_rgb_image>>>>>>>;
using Generator = sig<up_linear<4, up_skip<e1, d1, 32, up_skip<e2, d2, 64, up_skip<e3, d3, 128, Contracting>>>>>;

struct Gan final : Base {
    struct Inference {
        Generator gen;
    };
    const long S;
    Generator gen;
    Discriminator disc;  // on (map, face): FSX_LGAN_CHANNELS + 3 channels
    std::vector<adam> s_gen, s_disc;
    std::unique_ptr<fsx::Pool<Inference>> pool;
    std::mutex pool_mu;  // run() makes the pool on first use, possibly from several threads at once
    resizable_tensor x, grad, fake, pair, dgrad;

    Gan(long size, uint64_t seed, bool fresh) : S(size) {
        if (fresh) {
            std::lock_guard<std::mutex> lock(init_mutex);
            std::srand(unsigned(seed ^ (seed >> 32)));
            setup(gen, FSX_LGAN_CHANNELS, S, S);
            setup(disc, FSX_LGAN_CHANNELS + 3, S, S);
        }
        const adam a(0, 0.5f, 0.999f);
        s_gen.assign(Generator::num_computational_layers, a);
        s_disc.assign(Discriminator::num_computational_layers, a);
    }

    // (map, face) pairs: n × (K + 3) × S × S, the map's channels first.
    static void pairs(resizable_tensor &t, long offset, const float *maps, const float *faces, long face_k, int n,
                      size_t plane) {
        const long K = FSX_LGAN_CHANNELS;
        for (int i = 0; i < n; ++i) {
            float *dst = t.host() + (size_t(offset) + i) * (K + 3) * plane;
            std::memcpy(dst, maps + size_t(i) * K * plane, sizeof(float) * K * plane);
            std::memcpy(dst + K * plane, faces + size_t(i) * face_k * plane, sizeof(float) * 3 * plane);
        }
    }

    void train(int, const float *in, const float *target, const float *mask, int n, const fsx_ae_hyper &h,
               float losses[FSX_AE_LOSSES], float *out) override {
        pool.reset();
        const long K = FSX_LGAN_CHANNELS;
        const size_t plane = size_t(S) * S;
        load_tensor(x, in, n, K, S, S);
        const tensor &y = gen.forward(x);
        grad.copy_size(y);
        grad = 0;
        const float *yp = y.host();
        float *gp = grad.host();
        double rec[3];
        reconstruction(yp, target, mask, n, S, h, gp, rec);
        double gan_g = 0, gan_d = 0;
        if (h.gan_weight > 0) {
            fake.set_size(n, K + 3, S, S);
            pairs(fake, 0, in, yp, 4, n, plane);
            gan_g = adversarial_generator(disc, fake, dgrad, h.gan_weight, gp);
        }
        if (out) std::memcpy(out, yp, sizeof(float) * y.size());
        gen.back_propagate_error(x, grad);
        gen.update_parameters(s_gen, h.learning_rate);
        if (h.gan_weight > 0) {
            pair.set_size(2 * n, K + 3, S, S);
            pairs(pair, 0, in, target, 3, n, plane);
            std::memcpy(pair.host() + size_t(n) * (K + 3) * plane, fake.host(), sizeof(float) * fake.size());
            gan_d = adversarial_discriminator(disc, s_disc, pair, dgrad, h.learning_rate);
        }
        losses[0] = float(h.l1_weight * rec[0] + h.ssim_weight * rec[1] + h.mask_weight * rec[2] + h.gan_weight * gan_g);
        losses[1] = float(rec[0]);
        losses[2] = float(rec[1]);
        losses[3] = float(rec[2]);
        losses[4] = float(gan_g);
        losses[5] = float(gan_d);
    }

    void run(int, const float *in, int n, float *out, bool pooled) override {
        auto body = [&](Generator &g) {
            resizable_tensor t;
            load_tensor(t, in, n, FSX_LGAN_CHANNELS, S, S);
            const tensor &y = g.forward(t);
            std::memcpy(out, y.host(), sizeof(float) * y.size());
        };
        if (!pooled) return body(gen);
        fsx::Pool<Inference> *p;
        {
            std::lock_guard<std::mutex> lock(pool_mu);
            if (!pool) pool = std::make_unique<fsx::Pool<Inference>>(std::make_unique<Inference>(Inference{gen}));
            p = pool.get();
        }
        p->with([&](Inference &m) { body(m.gen); });
    }

    void save(std::ostream &out, bool training) override {
        // Drop cached outputs and gradients (dlib serialises them): the next step recomputes them.
        gen.clean();
        disc.clean();
        serialize(gen, out);
        if (!training) return;
        serialize(disc, out);
        serialize(s_gen, out);
        serialize(s_disc, out);
    }
    void load(std::istream &in, bool training) override {
        deserialize(gen, in);
        prime(gen);
        if (training) {
            deserialize(disc, in);
            prime(disc);
            deserialize(s_gen, in);
            deserialize(s_disc, in);
        }
        pool.reset();
    }
    void counts(int64_t out[3]) override {
        out[0] = 0;
        out[1] = int64_t(count_parameters(gen));
        out[2] = int64_t(count_parameters(disc));
    }
    std::string describe() override {
        std::ostringstream s;
        s << "generator (U-Net, landmark map -> face)\n" << gen << "\ndiscriminator (on map + face)\n" << disc << "\n";
        return s.str();
    }
};

Base *make(int input, int size, uint64_t seed, bool fresh) {
    if (input == size && (size == 64 || size == 128)) return new Gan(size, seed, fresh);
    return nullptr;
}
}  // namespace

extern "C" void *fsx_lgan_create(int size, uint64_t seed) { return create(make, "landmark generator", size, size, seed); }

extern "C" void *fsx_lgan_load(int size, const uint8_t *data, size_t length, int training) {
    return load(make, size, size, data, length, training != 0);
}

extern "C" int fsx_lgan_render(const double *points, int n, int size, float *out) {
    FSX_GUARD("landmark map", {
        if (!points || !out || n <= 0 || size < 16 || size > 1024)
            return fsx::fail(FS_ERR_INVALID_ARGUMENT, "landmark map: bad arguments");
        // Feature groups (iBUG 68 indices): [first, last, closed] per polyline, channel per group.
        struct Line { int first, last; bool closed; int channel; };
        static const Line lines[] = {
            {0, 16, false, 0},                                       // jaw
            {17, 21, false, 1}, {22, 26, false, 1},                  // brows
            {27, 30, false, 2}, {31, 35, false, 2},                  // nose bridge, nostrils
            {36, 41, true, 3},  {42, 47, true, 3},                   // eyes
            {48, 59, true, 4},  {60, 67, true, 4},                   // outer, inner lips
        };
        const size_t plane = size_t(size) * size;
        const int thickness = std::max(1, size / 64);
        constexpr int shift = 4;  // sub-pixel coordinates for cv::polylines
        cv::Mat canvas(size, size, CV_8U);
        for (int f = 0; f < n; ++f) {
            const double *p = points + size_t(f) * 136;
            for (int c = 0; c < FSX_LGAN_CHANNELS; ++c) {
                canvas = 0;
                for (const Line &l : lines) {
                    if (l.channel != c) continue;
                    std::vector<cv::Point> pts;
                    for (int i = l.first; i <= l.last; ++i)
                        pts.emplace_back(int(std::lround(p[2 * i] * (1 << shift))), int(std::lround(p[2 * i + 1] * (1 << shift))));
                    cv::polylines(canvas, pts, l.closed, cv::Scalar(255), thickness, cv::LINE_AA, shift);
                }
                float *dst = out + (size_t(f) * FSX_LGAN_CHANNELS + c) * plane;
                for (int y = 0; y < size; ++y) {
                    const uint8_t *row = canvas.ptr<uint8_t>(y);
                    for (int x = 0; x < size; ++x) dst[size_t(y) * size + x] = row[x] / 255.0f;
                }
            }
        }
        return 0;
    })
}
