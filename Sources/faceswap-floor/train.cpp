// faceswap-floor train: the library's autoencoder (shared encoder + one decoder, the same dlib
// layers as Sources/CFaceShim/autoencoder.cpp) trained by dlib's own dnn_trainer with Adam and
// its per-channel, per-pixel mean-squared loss — the floor for one training step of one identity.
// Usage: faceswap-floor train [steps=20] [batch=16]
#include <dlib/dnn.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

namespace floor_train {
using namespace dlib;
template <long N, typename SUBNET> using down = leaky_relu<add_layer<con_<N, 4, 4, 2, 2, 1, 1>, SUBNET>>;
template <long N, typename SUBNET> using up_linear = add_layer<cont_<N, 4, 4, 2, 2, 1, 1>, SUBNET>;
template <long N, typename SUBNET> using up = leaky_relu<up_linear<N, SUBNET>>;
using Net = loss_mean_squared_per_channel_and_pixel<4, sig<up_linear<4, up<48, up<96,
    up<128, extract<0, 256, 4, 4, fc<4096, fc<512, down<256, down<128, down<64, down<32, input_rgb_image>>>>>>>>>>>>>;
}  // namespace floor_train

int train_floor(int argc, char **argv) {
    using namespace floor_train;
    const int steps = argc > 2 ? std::atoi(argv[2]) : 20;
    const int batch = argc > 3 ? std::atoi(argv[3]) : 16;
    std::mt19937 rng(1);
    std::uniform_int_distribution<int> byte(0, 255);
    std::vector<dlib::matrix<dlib::rgb_pixel>> images(batch);
    std::vector<std::array<dlib::matrix<float>, 4>> labels(batch);
    for (int i = 0; i < batch; ++i) {
        images[i].set_size(64, 64);
        for (auto &p : images[i]) p = dlib::rgb_pixel(byte(rng), byte(rng), byte(rng));
        for (int c = 0; c < 4; ++c) {
            labels[i][c].set_size(64, 64);
            for (auto &v : labels[i][c]) v = byte(rng) / 255.0f;
        }
    }
    Net net;
    dlib::dnn_trainer<Net, dlib::adam> trainer(net, dlib::adam(0, 0.5f, 0.999f));
    trainer.set_learning_rate(2e-4);
    trainer.be_quiet();
    trainer.train_one_step(images, labels);  // set-up
    trainer.get_net(dlib::force_flush_to_disk::no);
    std::vector<double> times;
    for (int s = 0; s < steps; ++s) {
        auto a = std::chrono::steady_clock::now();
        trainer.train_one_step(images, labels);
        trainer.get_net(dlib::force_flush_to_disk::no);  // waits for the step
        times.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
    }
    std::sort(times.begin(), times.end());
    std::printf("dlib dnn_trainer step (encoder + one decoder, batch %d, 64x64, Adam, MSE): median %.1f ms over %d steps; "
                "parameters %zu\n", batch, times[times.size() / 2], steps, dlib::count_parameters(trainer.get_net()));
    return 0;
}
