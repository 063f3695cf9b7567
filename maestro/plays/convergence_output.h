// How a ConvergencePlan (convergence.h) is shown and saved:
//   * RenderPlanText: a table grouped by ship (ships in the order their first container
//     comes in the plan, i.e. dependency order), with colours when asked, or plain lines
//     ("ship1 web-1 recreate: env: ...") for pipes and logs;
//   * PlanToJson / PlanFromJson: the same content as JSON (`plan --format json`), and the
//     saved plan file (`plan -o FILE`: that JSON with "format": kPlanFileFormat);
//   * CheckPlanStillCurrent: the check `up --plan FILE` makes before applying a saved plan:
//     every ship's fingerprint (the planned containers' ids, states and image ids, and the
//     configured images' ids) must be what the plan saw.
// Pure functions over values; safe from any thread.
#ifndef MAESTRO_PLAYS_CONVERGENCE_OUTPUT_H_
#define MAESTRO_PLAYS_CONVERGENCE_OUTPUT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "maestro/plays/convergence.h"
#include "nlohmann/json.hpp"

namespace maestro::plays {

inline constexpr char kPlanFileFormat[] = "maestro-plan/1";

struct PlanTextStyle {
  bool table = true;   // false: one plain line per container
  bool color = false;  // ANSI colours (table only)
};

std::string RenderPlanText(const ConvergencePlan& plan, const PlanTextStyle& style);

// One line per service whose re-creates roll (PlannedRolling), in plan order: "zk rolls 1 at a
// time, quorum majority, failure pause in 3 batches: zk-1 | zk-2 | zk-3", or with a role probe
// "... : kafka-1, kafka-2, kafka-3 (batches found by the role probe at the rollout, the leader
// last)". `plan` and `up` print them; empty when nothing rolls.
std::vector<std::string> DescribeRollouts(const ConvergencePlan& plan);

nlohmann::json PlanToJson(const ConvergencePlan& plan);
// PlanToJson as indented text; bytes that are not UTF-8 (a daemon's) become U+FFFD.
std::string PlanJsonText(const ConvergencePlan& plan);
// InvalidArgument naming the first malformed field.
absl::StatusOr<ConvergencePlan> PlanFromJson(const nlohmann::json& j);

// The saved plan file's text, and reading it back (InvalidArgument for anything that is not a
// plan file of this format).
std::string SavePlanFile(const ConvergencePlan& plan);
absl::StatusOr<ConvergencePlan> LoadPlanFile(absl::string_view text);

// OK when `current` (a fresh plan of the same scope) saw the same environment and the same
// fingerprint on every ship of `saved`; otherwise FailedPrecondition listing every change
// ("ship1: web-1 was running (3f2a...), now exited (3f2a...)").
absl::Status CheckPlanStillCurrent(const ConvergencePlan& saved, const ConvergencePlan& current);

}  // namespace maestro::plays

#endif  // MAESTRO_PLAYS_CONVERGENCE_OUTPUT_H_
