// The host imports of ABI v1 (docs/ABI.md), module "hal". Pointers are byte
// offsets into this module's memory; buffers passed out are owned by the
// firmware and valid only during the call.

@external("hal", "millis") export declare function halMillis(): u32;
@external("hal", "gpio_mode") export declare function halGpioMode(pin: i32, mode: i32): i32;
@external("hal", "gpio_write") export declare function halGpioWrite(pin: i32, level: i32): i32;
@external("hal", "gpio_read") export declare function halGpioRead(pin: i32): i32;
@external("hal", "pulse_in") export declare function halPulseIn(pin: i32, level: i32, timeoutUs: u32): i32;
@external("hal", "delay_us") export declare function halDelayUs(us: u32): void;
@external("hal", "adc_read") export declare function halAdcRead(channel: i32): i32;
@external("hal", "uart_open") export declare function halUartOpen(port: i32, baud: i32): i32;
@external("hal", "uart_read") export declare function halUartRead(port: i32, buf: usize, cap: i32): i32;
@external("hal", "uart_write") export declare function halUartWrite(port: i32, ptr: usize, len: i32): i32;
@external("hal", "sock_connect") export declare function halSockConnect(host: usize, hostLen: i32, port: i32): i32;
@external("hal", "sock_status") export declare function halSockStatus(h: i32): i32;
@external("hal", "sock_send") export declare function halSockSend(h: i32, ptr: usize, len: i32): i32;
@external("hal", "sock_recv") export declare function halSockRecv(h: i32, buf: usize, cap: i32): i32;
@external("hal", "sock_close") export declare function halSockClose(h: i32): void;
@external("hal", "kv_get") export declare function halKvGet(key: usize, keyLen: i32, buf: usize, cap: i32): i32;
@external("hal", "kv_set") export declare function halKvSet(key: usize, keyLen: i32, val: usize, valLen: i32): i32;
@external("hal", "log") export declare function halLog(level: i32, ptr: usize, len: i32): void;
@external("hal", "panic") export declare function halPanic(ptr: usize, len: i32, line: i32, column: i32): void;
@external("hal", "random_u32") export declare function halRandomU32(): u32;
@external("hal", "hw_id") export declare function halHwId(buf: usize, cap: i32): i32;

/** sock_connect: `port | SOCK_TLS` asks the host to terminate TLS (a host without TLS refuses the port, never falls back to clear text). */
export const SOCK_TLS: i32 = 0x10000;
/** sock_status values (docs/ABI.md "Socket status"). */
export const SOCK_CONNECTING: i32 = 0;
export const SOCK_CONNECTED: i32 = 1;
export const SOCK_HANDSHAKING: i32 = 2;         // TCP up, TLS handshake in progress
export const SOCK_ERR: i32 = -1;
export const SOCK_CLOSED: i32 = -2;
export const SOCK_TLS_UNTRUSTED: i32 = -3;      // certificate chain not trusted (unknown CA, expired, pin mismatch)
export const SOCK_TLS_NAME_MISMATCH: i32 = -4;  // certificate valid but not for broker_host
export const SOCK_TLS_FAILED: i32 = -5;         // any other handshake failure (alert, protocol version, ...)

export const GPIO_INPUT: i32 = 0;
export const GPIO_OUTPUT: i32 = 1;
export const GPIO_INPUT_PULLUP: i32 = 2;
export const GPIO_INPUT_PULLDOWN: i32 = 3;

export const LOG_ERROR: i32 = 0;
export const LOG_WARN: i32 = 1;
export const LOG_INFO: i32 = 2;
export const LOG_DEBUG: i32 = 3;

// OTA (ABI v2, docs/OTA.md): the firmware streams a signed image to the host's
// inactive slot. Each returns 0 or a negative OtaStatus (assembly/ota/ota.ts).
// Contract: begin, then writes in order without gaps (a resent chunk may
// repeat the last offset), then finish; abort drops a transfer at any point;
// activate only after finish returned 0 (the host restarts after the call).
@external("hal", "ota_begin") export declare function halOtaBegin(size: u32): i32;
@external("hal", "ota_write") export declare function halOtaWrite(offset: u32, ptr: usize, len: i32): i32;
@external("hal", "ota_finish") export declare function halOtaFinish(): i32;
@external("hal", "ota_abort") export declare function halOtaAbort(): void;
@external("hal", "ota_activate") export declare function halOtaActivate(): void;
