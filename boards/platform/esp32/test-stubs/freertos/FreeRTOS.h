#pragma once
#include <stdint.h>
typedef uint32_t TickType_t;
typedef int BaseType_t;
#define pdTRUE 1
#define pdFALSE 0
#define portMAX_DELAY ((TickType_t)0xffffffffu)
#define pdMS_TO_TICKS(ms) ((TickType_t)(((TickType_t)(ms) * (TickType_t)1000) / (TickType_t)1000))
void vPortYieldFromISR(void);
#define portYIELD_FROM_ISR(...) vPortYieldFromISR()
typedef struct QueueDefinition *QueueHandle_t;
