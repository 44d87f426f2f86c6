// The extension module mfrec._core; the package's Python layer (mfrec/__init__.py) stands on it.
// Library errors become Python's: DataError -> mfrec.DataError, an unknown id -> KeyError, any
// other UsageError -> ValueError.
#include "py_common.h"

namespace pyb = pybind11;

PYBIND11_MODULE(_core, m) {
  m.doc() = "mfrec's C++ core; use the mfrec package";
  static pyb::exception<mfrec::DataError> data_error(m, "DataError", PyExc_ValueError);
  pyb::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const mfrec::DataError& e) {
      PyErr_SetString(data_error.ptr(), e.what());
    } catch (const mfrec::UnknownIdError& e) {
      PyErr_SetObject(PyExc_KeyError, pyb::str(e.what()).ptr());
    } catch (const mfrec::UsageError& e) {
      PyErr_SetString(PyExc_ValueError, e.what());
    }
  });
  mfrec::py::bind_data(m);
  mfrec::py::bind_model(m);
}
