// Every reason code Veil records: why a face is kept or blurred (faces.decision_reason) and
// why an item is held (media.reason, the moderation queue, the media.held event). The codes
// are stable: they are stored, shown to managers and matched by tools. docs/consent-policy.md
// explains each one.
//
// A face's reason is exactly one code. An item's reason is a code, or a code followed by ": "
// and details for a person ("processing_error: <what failed>", "uncertain_match: track 3");
// reason_code() gives the code back.
#pragma once

#include <string>
#include <string_view>

namespace veil::reason {

// Per face, by the consent rule (policy/consent_policy.h).
inline constexpr const char* journal_owner = "journal_owner";
inline constexpr const char* consent_yes = "consent_yes";
inline constexpr const char* consent_no = "consent_no";
inline constexpr const char* no_consent_record = "no_consent_record";
inline constexpr const char* consent_not_used = "consent_not_used";
inline constexpr const char* unknown = "unknown";
inline constexpr const char* uncertain = "uncertain";
inline constexpr const char* not_embeddable = "not_embeddable";

// Per face, by the pipelines' own checks: always blur.
inline constexpr const char* verification = "verification";                    // photo: found after redaction
inline constexpr const char* verification_residual = "verification_residual";  // the same, on painted pixels
inline constexpr const char* found_after_redaction = "found_after_redaction";  // video: found by the re-check

// Per face, decided by a manager or senior (moderation/): kept by a person's unblur,
// painted by a person's blur, a box a person added (always blur). A face assigned to a child
// by a person gets the consent rule's reason for that child.
inline constexpr const char* unblurred_by_person = "unblurred_by_person";
inline constexpr const char* blurred_by_person = "blurred_by_person";
inline constexpr const char* added_by_person = "added_by_person";

// Per face, by the offline judges of `veil process --keep-all|--blur-all` (never by veild).
inline constexpr const char* keep_all = "keep_all";
inline constexpr const char* blur_all = "blur_all";

// Per item: why it is held, most specific first.
inline constexpr const char* processing_error = "processing_error";
inline constexpr const char* verification_failed = "verification_failed";
inline constexpr const char* uncertain_match = "uncertain_match";
inline constexpr const char* parent_upload = "parent_upload";
// A photo with many faces too small to check (policy/crowd_rule.h); its details say so:
// "crowd: faces too small to check".
inline constexpr const char* crowd = "crowd";

// Per item: why it is rejected, when it is by a rule of Veil's own rather than a decoder's
// refusal (those carry the decoder's kind: docs/decoding.md, docs/video.md). The same for
// photos and videos.
inline constexpr const char* too_small = "too_small";  // the short side is under the minimum (policy/picture_size.h)

// `code: details` for an item reason.
std::string with_details(const char* code, std::string_view details);

// The code at the start of an item reason: the text before the first ": ", or all of it.
std::string_view reason_code(std::string_view item_reason);

}  // namespace veil::reason
