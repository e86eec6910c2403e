// C++ runtime on the lab: std::thread workers with a mutex and condition variable, and exceptions thrown across
// frames and threads (unwinding through the static libstdc++/libgcc), with output independent of interleaving.
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

static int depth(int n) {
  if (n == 0) throw std::runtime_error("bottom reached");
  return depth(n - 1) + 1;
}

int main() {
  try {
    depth(20);
  } catch (const std::exception& e) {
    std::printf("caught: %s\n", e.what());
  }
  std::mutex m;
  std::condition_variable cv;
  int ready = 0;
  long total = 0;
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; t++) {
    pool.emplace_back([&, t] {
      long local = 0;
      for (int i = 0; i < 10000; i++) local += (i * (t + 1)) % 7;
      try {
        if (t == 2) throw std::string("thrown in thread 2");
      } catch (const std::string& s) {
        std::lock_guard<std::mutex> g(m);
        std::printf("caught in a thread: %s\n", s.c_str());
      }
      std::lock_guard<std::mutex> g(m);
      total += local;
      ready++;
      cv.notify_one();
    });
  }
  {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return ready == 4; });
  }
  for (auto& t : pool) t.join();
  std::printf("4 std::threads done, total %ld\n", total);
  return 0;
}
