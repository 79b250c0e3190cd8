// The TFLite Micro runtime backend of the reparo HIL firmware (the backend half of reparo_hil.h):
// the model flatbuffer compiled in (model_data.c), the generated resolver with exactly the model's
// ops (model_ops.h) and a static arena sized from reparo's estimate (reparo_hil_config.h).
// Shared by the Cortex-M (CMake) and ESP-IDF projects. No heap, no static constructors: the
// interpreter is built with placement new in reparo_model_setup.
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <new>

#include "model_data.h"
#include "model_ops.h"
#include "reparo_hil_config.h"  // REPARO_MODEL_HASH, REPARO_TFLM_ARENA_BYTES
#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/schema/schema_generated.h"
extern "C" {
#include "reparo_hil.h"
}

namespace {
alignas(16) uint8_t arena[REPARO_TFLM_ARENA_BYTES];
alignas(tflite::MicroInterpreter) unsigned char interpreter_storage[sizeof(tflite::MicroInterpreter)];
tflite::MicroInterpreter *interpreter = nullptr;
reparo_model_info_t info = {"tflm", REPARO_MODEL_HASH, 0, 0, 0, 0};
}  // namespace

#if REPARO_TFLM_DEBUG_LOG
// TFLM's log (MicroPrintf: allocation failures, unsupported ops) goes out on the platform's serial
// line; the host skips unframed lines, so it never disturbs the protocol. (ESP-IDF: esp-tflite-micro
// brings its own DebugLog on the console UART.)
extern "C" int DebugVsnprintf(char *buffer, size_t buf_size, const char *format, va_list vlist) {
  return vsnprintf(buffer, buf_size, format, vlist);
}

extern "C" void DebugLog(const char *format, va_list args) {
  char line[160];
  int n = vsnprintf(line, sizeof line, format, args);
  if (n > 0) reparo_platform_write(line, (uint32_t)(n < (int)sizeof line ? n : (int)sizeof line - 1));
}
#endif

extern "C" int reparo_model_setup(void) {
  if (interpreter) return 0;
  const tflite::Model *model = tflite::GetModel(reparo_model_tflite);
  if (model->version() != TFLITE_SCHEMA_VERSION) return 1;
  const ReparoOpResolver *resolver = reparo_tflm_resolver();
  if (!resolver) return 2;
  auto *it = new (interpreter_storage) tflite::MicroInterpreter(model, *resolver, arena, sizeof arena);
  if (it->AllocateTensors() != kTfLiteOk) return 3;  // TFLM has logged why (arena too small, ...)
  const TfLiteTensor *in = it->input(0), *out = it->output(0);
  if (!in || !out || in->type != kTfLiteInt8 || out->type != kTfLiteInt8) return 4;
  info.input_bytes = (uint32_t)in->bytes;
  info.output_bytes = (uint32_t)out->bytes;
  info.arena_bytes = (uint32_t)it->arena_used_bytes();
  info.layer_count = 0;  // no per-operator profile: a profiler would add calls to every timed run
  interpreter = it;
  return 0;
}

extern "C" const reparo_model_info_t *reparo_model_info(void) { return &info; }

extern "C" int reparo_model_run(const int8_t *input, int8_t *output) {
  if (!interpreter) return 1;
  memcpy(interpreter->input(0)->data.int8, input, info.input_bytes);
  if (interpreter->Invoke() != kTfLiteOk) return 2;
  memcpy(output, interpreter->output(0)->data.int8, info.output_bytes);
  return 0;
}

extern "C" int reparo_model_run_profiled(const int8_t *input, int8_t *output, uint64_t *counts) {
  (void)input, (void)output, (void)counts;
  return 1;  // layer_count is 0: the HIL loop answers `profile` with e-[unsupported]
}

extern "C" const char *reparo_model_layer_name(uint32_t i) {
  (void)i;
  return "";
}
