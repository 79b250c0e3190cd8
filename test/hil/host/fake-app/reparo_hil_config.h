/* buffer sizes for the fake backend (fake_backend.c) */
#define REPARO_HIL_INPUT_CAPACITY 10u
#define REPARO_HIL_OUTPUT_CAPACITY 4u
#define REPARO_HIL_LAYER_CAPACITY 3u
