#pragma once
/* ESP-IDF 5.2 components/mbedtls/esp_crt_bundle/include/esp_crt_bundle.h (declaration only).
 * The mbed TLS headers themselves come from the development machine's libmbedtls-dev
 * (2.28; ESP-IDF 5.2 ships 3.5): sockets_tls_mbedtls.c uses only calls common to both. */
#include "esp_err.h"
#include "mbedtls/ssl.h"
esp_err_t esp_crt_bundle_attach(void *conf);
