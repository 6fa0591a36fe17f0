#pragma once
#include <stdint.h>
#include "esp_adc/adc_cali.h"
/* as on the ESP32 (line fitting); the C3/S3 have curve fitting instead */
#define ADC_CALI_SCHEME_CURVE_FITTING_SUPPORTED 0
#define ADC_CALI_SCHEME_LINE_FITTING_SUPPORTED 1
typedef struct {
  adc_unit_t unit_id;
  adc_atten_t atten;
  adc_bitwidth_t bitwidth;
  uint32_t default_vref;
} adc_cali_line_fitting_config_t;
esp_err_t adc_cali_create_scheme_line_fitting(const adc_cali_line_fitting_config_t *config, adc_cali_handle_t *ret_handle);
