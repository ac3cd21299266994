#pragma once
// Debian's libhdf5-dev (serial build): headers under /usr/include/hdf5/serial, found through pkg-config "hdf5".
#include <hdf5.h>
#include <hdf5_hl.h>

// HDF5 spells its property lists, file-access flags and native types as macros that call H5open() or read
// globals; Swift imports none of them, so they are re-exported here as inline functions.
static inline hid_t snn_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t snn_h5s_all(void) { return H5S_ALL; }
static inline unsigned snn_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned snn_h5f_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline unsigned snn_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned snn_h5f_acc_excl(void) { return H5F_ACC_EXCL; }
static inline hid_t snn_h5p_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t snn_h5p_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t snn_h5p_link_create(void) { return H5P_LINK_CREATE; }
static inline hid_t snn_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t snn_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t snn_h5t_native_int32(void) { return H5T_NATIVE_INT32; }
static inline hid_t snn_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t snn_h5t_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t snn_h5t_native_uint64(void) { return H5T_NATIVE_UINT64; }
static inline hid_t snn_h5t_c_s1(void) { return H5T_C_S1; }
static inline hid_t snn_h5t_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t snn_h5t_ieee_f64le(void) { return H5T_IEEE_F64LE; }
static inline hid_t snn_h5t_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t snn_h5t_std_i32le(void) { return H5T_STD_I32LE; }
static inline hid_t snn_h5t_variable(void) { return (hid_t)H5T_VARIABLE; }
static inline size_t snn_h5t_variable_size(void) { return H5T_VARIABLE; }
