// Video probing and admission with libavformat: container recognition by content,
// stream parameters, display rotation, and the configured limits.
#include "pipeline/video/probe.h"

#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "pipeline/video/decoder.h"
#include "pipeline/video/ffmpeg.h"
#include "pipeline/video/orientation.h"
#include "policy/picture_size.h"
#include "policy/reasons.h"

namespace veil {

const char* to_string(VideoErrorKind kind) {
  switch (kind) {
    case VideoErrorKind::no_video_stream: return "no_video_stream";
    case VideoErrorKind::too_long: return "too_long";
    case VideoErrorKind::too_large: return "too_large";
    case VideoErrorKind::too_many_pixels: return "too_many_pixels";
    case VideoErrorKind::corrupt: return "corrupt";
    case VideoErrorKind::unsupported: return "unsupported";
    case VideoErrorKind::too_small: return reason::too_small;
  }
  return "unknown";
}

std::string read_file_head(const std::string& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  std::string head(max_bytes, '\0');
  in.read(head.data(), static_cast<std::streamsize>(max_bytes));
  head.resize(static_cast<std::size_t>(std::max<std::streamsize>(0, in.gcount())));
  return head;
}

namespace {

constexpr std::size_t kProbeBytes = 64 * 1024;

// ISO-BMFF major brands of still images (HEIF, AVIF): these go to the photo pipeline.
bool is_image_brand(const std::string& bytes) {
  if (bytes.size() < 12 || bytes.compare(4, 4, "ftyp") != 0) return false;
  static const char* const brands[] = {"heic", "heix", "heim", "heis", "hevc", "hevx", "mif1",
                                       "msf1", "avif", "avis", "jpeg", "avci"};
  const std::string major = bytes.substr(8, 4);
  return std::any_of(std::begin(brands), std::end(brands), [&](const char* b) { return major == b; });
}

// The video containers Veil accepts, by libavformat demuxer name (a name may list
// several, comma-separated: "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm").
bool is_video_container(const AVInputFormat* format) {
  if (!format || !format->name) return false;
  static const char* const accepted[] = {"mov", "mp4", "3gp", "3g2", "matroska", "webm",
                                         "avi", "mpegts", "mpeg", "flv", "asf"};
  std::stringstream names(format->name);
  std::string name;
  while (std::getline(names, name, ',')) {
    for (const char* a : accepted)
      if (name == a) return true;
  }
  return false;
}

// The demuxer that recognises `bytes` by content alone (no file name), or nullptr.
const AVInputFormat* probe_container(const std::string& bytes) {
  if (bytes.empty()) return nullptr;
  std::vector<unsigned char> buf(bytes.size() + AVPROBE_PADDING_SIZE, 0);
  std::memcpy(buf.data(), bytes.data(), bytes.size());
  AVProbeData pd{};
  pd.filename = "";
  pd.buf = buf.data();
  pd.buf_size = static_cast<int>(bytes.size());
  int score = AVPROBE_SCORE_RETRY;
  return av_probe_input_format2(&pd, 1, &score);
}

bool is_cover_art(const AVStream* st) { return (st->disposition & AV_DISPOSITION_ATTACHED_PIC) != 0; }

}  // namespace

bool looks_like_video(const std::string& path_or_first_bytes) {
  av::quiet_logs();
  std::string head = path_or_first_bytes;
  std::error_code ec;
  if (path_or_first_bytes.size() < 4096 && path_or_first_bytes.find('\0') == std::string::npos &&
      std::filesystem::is_regular_file(path_or_first_bytes, ec)) {
    head = read_file_head(path_or_first_bytes, kProbeBytes);
  }
  if (head.size() > kProbeBytes) head.resize(kProbeBytes);
  if (is_image_brand(head)) return false;
  return is_video_container(probe_container(head));
}

namespace {

// The file before FFmpeg opens it: a regular file within the size limit whose first bytes a
// video container Veil accepts recognises (a HEIF/AVIF still image is refused here).
const AVInputFormat* check_file(const std::string& path, const LimitsConfig& limits, VideoInfo& info) {
  av::quiet_logs();
  info = VideoInfo{};
  struct stat st_buf {};
  if (::stat(path.c_str(), &st_buf) != 0 || !S_ISREG(st_buf.st_mode))
    throw VideoError(VideoErrorKind::corrupt, "cannot read " + path);
  info.file_bytes = st_buf.st_size;
  if (limits.max_file_bytes > 0 && info.file_bytes > limits.max_file_bytes)
    throw VideoError(VideoErrorKind::too_large, "file is " + std::to_string(info.file_bytes) +
                                                    " bytes, over the limit of " +
                                                    std::to_string(limits.max_file_bytes));
  if (info.file_bytes == 0) throw VideoError(VideoErrorKind::corrupt, "empty file");

  const std::string head = read_file_head(path, kProbeBytes);
  if (is_image_brand(head))
    throw VideoError(VideoErrorKind::unsupported, "a still image (HEIF/AVIF), not a video");
  const AVInputFormat* format = probe_container(head);
  if (!format) throw VideoError(VideoErrorKind::unsupported, "not a recognised video container");
  if (!is_video_container(format))
    throw VideoError(VideoErrorKind::unsupported,
                     std::string("not a video container Veil accepts (") + format->name + ")");
  info.container = format->name;
  return format;

}

// Orientation, display size, frame rate, frame count and duration of `video`, and the audio
// stream's parameters.
void describe_streams(AVFormatContext* fmt, AVStream* video, AVStream* audio, VideoInfo& info) {
  std::size_t display_size = 0;
  const uint8_t* matrix = av_stream_get_side_data(video, AV_PKT_DATA_DISPLAYMATRIX, &display_size);
  if (matrix && display_size >= 9 * sizeof(int32_t)) {
    int32_t m[9];
    std::memcpy(m, matrix, sizeof m);
    info.orientation = orientation_from_display_matrix(m);
  }
  info.rotation = orientation_rotation(info.orientation);
  const bool swap = orientation_swaps_axes(info.orientation);
  info.display_width = swap ? info.height : info.width;
  info.display_height = swap ? info.width : info.height;

  const AVRational rate = av_guess_frame_rate(fmt, video, nullptr);
  info.fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0;
  info.frames = video->nb_frames > 0 ? video->nb_frames : 0;
  if (fmt->duration != AV_NOPTS_VALUE && fmt->duration > 0)
    info.duration_s = static_cast<double>(fmt->duration) / AV_TIME_BASE;
  else if (video->duration != AV_NOPTS_VALUE && video->duration > 0)
    info.duration_s = static_cast<double>(video->duration) * av_q2d(video->time_base);

  if (audio) {
    info.has_audio = true;
    info.audio_codec = avcodec_get_name(audio->codecpar->codec_id);
    info.audio_sample_rate = audio->codecpar->sample_rate;
    info.audio_channels = audio->codecpar->ch_layout.nb_channels;
  }

}

// Refuses a video over the long-edge, pixel or duration limits, or under the minimum size.
void check_limits(const VideoInfo& info, const LimitsConfig& limits) {
  const int long_edge = std::max(info.width, info.height);
  if (limits.max_video_long_edge > 0 && long_edge > limits.max_video_long_edge)
    throw VideoError(VideoErrorKind::too_many_pixels,
                     "picture is " + std::to_string(info.width) + "x" + std::to_string(info.height) +
                         ", over the long-edge limit of " + std::to_string(limits.max_video_long_edge));
  if (limits.max_pixels > 0 && static_cast<std::int64_t>(info.width) * info.height > limits.max_pixels)
    throw VideoError(VideoErrorKind::too_many_pixels, "picture has more pixels than the limit");
  if (too_small_to_process(info.width, info.height))
    throw VideoError(VideoErrorKind::too_small, too_small_details(info.width, info.height));
  if (limits.max_video_seconds > 0 && info.duration_s > limits.max_video_seconds)
    throw VideoError(VideoErrorKind::too_long, "video lasts " + std::to_string(info.duration_s) +
                                                   " s, over the limit of " +
                                                   std::to_string(limits.max_video_seconds) + " s");
}

}  // namespace

av::InputPtr open_video_input(const std::string& path, const LimitsConfig& limits, VideoInfo& info) {
  const AVInputFormat* format = check_file(path, limits, info);
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "protocol_whitelist", "file", 0);
  AVFormatContext* raw = nullptr;
  // "file:" so that a path with a colon is never taken for another protocol.
  int ret = avformat_open_input(&raw, ("file:" + path).c_str(), format, &opts);
  av_dict_free(&opts);
  if (ret < 0)
    throw VideoError(VideoErrorKind::corrupt, "cannot open the " + info.container +
                                                  " container: " + av::error_text(ret));
  av::InputPtr fmt(raw);
  ret = avformat_find_stream_info(fmt.get(), nullptr);
  if (ret < 0) throw VideoError(VideoErrorKind::corrupt, "cannot read the streams: " + av::error_text(ret));

  // The video stream: the largest picture that is not cover art.
  AVStream* video = nullptr;
  AVStream* audio = nullptr;
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    AVStream* st = fmt->streams[i];
    const AVCodecParameters* par = st->codecpar;
    if (par->codec_type == AVMEDIA_TYPE_VIDEO && !is_cover_art(st)) {
      ++info.video_streams;
      if (!video || static_cast<std::int64_t>(par->width) * par->height >
                        static_cast<std::int64_t>(video->codecpar->width) * video->codecpar->height)
        video = st;
    } else if (par->codec_type == AVMEDIA_TYPE_AUDIO) {
      if (!audio || par->ch_layout.nb_channels > audio->codecpar->ch_layout.nb_channels) audio = st;
    }
  }
  if (!video) throw VideoError(VideoErrorKind::no_video_stream, "no video stream in the file");
  const AVCodecParameters* vpar = video->codecpar;
  info.video_codec = avcodec_get_name(vpar->codec_id);
  if (!avcodec_find_decoder(vpar->codec_id))
    throw VideoError(VideoErrorKind::unsupported, "no decoder for video codec " + info.video_codec);
  if (vpar->width <= 0 || vpar->height <= 0)
    throw VideoError(VideoErrorKind::corrupt, "the video stream has no picture size");
  info.width = vpar->width;
  info.height = vpar->height;
  if (const char* name = av_get_pix_fmt_name(static_cast<AVPixelFormat>(vpar->format))) info.pixel_format = name;

  describe_streams(fmt.get(), video, audio, info);
  check_limits(info, limits);
  return fmt;
}

VideoInfo probe_video(const std::string& path, const LimitsConfig& limits) {
  VideoInfo info;
  open_video_input(path, limits, info);
  return info;
}

}  // namespace veil
