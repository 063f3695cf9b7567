#include "maestro/plays/scheduler.h"

#include <algorithm>
#include <thread>

namespace maestro::plays {

void Scheduler::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  token_.Cancel();
  if (plan_ != nullptr) plan_->Cancel();
  cv_.notify_all();
}

void Scheduler::Release(size_t node, std::optional<size_t> hold) {
  std::lock_guard<std::mutex> lock(mu_);
  if (plan_ == nullptr || node >= plan_->size()) return;
  plan_->Release(node, hold);
  cv_.notify_all();
}

std::vector<NodeResult> Scheduler::Run(Plan& plan, const Work& work) {
  std::vector<NodeResult> results(plan.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    plan_ = &plan;
    if (token_.cancelled()) plan.Cancel();
  }
  size_t threads = plan.size();
  if (options_.concurrency > 0) threads = std::min(threads, options_.concurrency);
  threads = std::min(threads, std::max<size_t>(1, options_.max_threads));

  auto worker = [&]() {
    std::unique_lock<std::mutex> lock(mu_);
    while (true) {
      // After Cancel() the plan only readies follow-up nodes of running work, and finishes
      // once that work is done.
      cv_.wait(lock, [&] { return plan.HasReady() || plan.Finished(); });
      if (plan.Finished()) break;
      size_t node = plan.TakeReady(1).front();
      lock.unlock();
      Clock* clock = options_.clock;
      const absl::Time start = clock != nullptr ? clock->Now() : absl::UnixEpoch();
      absl::Status status = work(node, token_);
      const absl::Duration elapsed = clock != nullptr ? clock->Now() - start : absl::ZeroDuration();
      lock.lock();
      results[node].status = status;
      results[node].elapsed = elapsed;
      if (status.ok()) {
        plan.MarkSucceeded(node);
      } else {
        plan.MarkFailed(node);
      }
      cv_.notify_all();
    }
    cv_.notify_all();
  };

  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (size_t i = 0; i < threads; ++i) pool.emplace_back(worker);
  for (std::thread& t : pool) t.join();

  std::lock_guard<std::mutex> lock(mu_);
  for (size_t i = 0; i < plan.size(); ++i) results[i].state = plan.state(i);
  plan_ = nullptr;
  return results;
}

}  // namespace maestro::plays
