// Writes a tiny but complete dlib shape predictor (dlib's own serialization, as
// shape_predictor_68_face_landmarks.dat) for the model_sp fuzz corpus: N landmark points, 2
// cascades of 2 depth-2 trees over 8 feature pixels each, fixed pseudo-random values; and, when
// asked, the same model in the library's raw-binary cache layout (write_cache in
// Sources/CFaceShim/landmarks.cpp).
//   c++ -std=c++17 -O1 make_sp_seed.cpp -o make_sp_seed && ./make_sp_seed 68 out.dat [out.spcache]
#include <dlib/image_processing/shape_predictor.h>
#include <cstdlib>
#include <fstream>
#include <iostream>

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) {
        std::cerr << "usage: make_sp_seed POINTS OUT.dat [OUT.spcache]\n";
        return 2;
    }
    const long parts = std::atol(argv[1]);
    unsigned state = 12345;
    auto rnd = [&] { state = state * 1103515245u + 12345u; return (float)((state >> 8) & 0xffff) / 65536.0f; };
    dlib::matrix<float, 0, 1> initial(2 * parts);
    for (long i = 0; i < initial.size(); ++i) initial(i) = 0.1f + 0.8f * rnd();
    const int cascades = 2, trees = 2, splits = 3, pixels = 8;
    std::vector<std::vector<dlib::impl::regression_tree>> forests(cascades);
    std::vector<std::vector<dlib::vector<float, 2>>> coords(cascades);
    for (int c = 0; c < cascades; ++c) {
        for (int p = 0; p < pixels; ++p) coords[c].push_back(dlib::vector<float, 2>(rnd(), rnd()));
        forests[c].resize(trees);
        for (auto &tree : forests[c]) {
            for (int s = 0; s < splits; ++s)
                tree.splits.push_back({(unsigned long)(rnd() * pixels), (unsigned long)(rnd() * pixels), rnd() * 40 - 20});
            tree.leaf_values.resize(splits + 1);
            for (auto &leaf : tree.leaf_values) {
                leaf.set_size(2 * parts);
                for (long i = 0; i < leaf.size(); ++i) leaf(i) = (rnd() - 0.5f) * 0.02f;
            }
        }
    }
    dlib::shape_predictor sp(initial, forests, coords);
    std::ofstream out(argv[2], std::ios::binary);
    dlib::serialize(sp, out);
    if (!out) return 1;
    if (argc == 4) {  // the cache: magic, then native-endian u64 counts and floats
        std::ofstream c(argv[3], std::ios::binary);
        auto u64 = [&](uint64_t v) { c.write((const char *)&v, 8); };
        auto f32 = [&](float v) { c.write((const char *)&v, 4); };
        c.write("FSSPCAC1", 8);
        u64(initial.size());
        for (long i = 0; i < initial.size(); ++i) f32(initial(i));
        u64(forests.size());
        for (const auto &forest : forests) {
            u64(forest.size());
            for (const auto &tree : forest) {
                u64(tree.splits.size());
                for (const auto &s : tree.splits) u64(s.idx1), u64(s.idx2), f32(s.thresh);
                u64(tree.leaf_values.size());
                u64(tree.leaf_values[0].size());
                for (const auto &leaf : tree.leaf_values)
                    for (long i = 0; i < leaf.size(); ++i) f32(leaf(i));
            }
        }
        for (const auto &cascade : coords) {  // anchor point + delta, as the library writes them
            std::vector<unsigned long> anchors;
            std::vector<dlib::vector<float, 2>> deltas;
            dlib::impl::create_shape_relative_encoding(initial, cascade, anchors, deltas);
            u64(cascade.size());
            for (size_t j = 0; j < cascade.size(); ++j) {
                dlib::vector<float, 2> p = dlib::impl::location(initial, anchors[j]) + deltas[j];
                f32(p.x()), f32(p.y());
            }
        }
        if (!c) return 1;
    }
    return 0;
}
