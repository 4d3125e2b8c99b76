//! A statement's rows gathered column by column, as they stream out of the
//! engine: one typed buffer per column (Arrow's layout: values, offsets,
//! a validity bitmap), so a million-row result costs about what its
//! DataFrame will, never a million boxed rows. Python gets the buffers as
//! `bytes` for pyarrow, or the values as lists for the rows as dicts.

use evident::Value;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDate, PyDict, PyList};

/// One column's values. It starts as `Null` and takes the type of its
/// first value; a value of another type turns it into `Mixed`, which keeps
/// each value as the engine gave it (ints stay ints beside floats, as in
/// the `json` format).
pub enum Column {
    /// Only absent values so far (how many).
    Null(usize),
    Bool(Typed<bool>),
    Integer(Typed<i64>),
    Number(Typed<f64>),
    /// Text: offsets into `bytes` (Arrow's `large_string`).
    String {
        offsets: Vec<i64>,
        bytes: Vec<u8>,
        valid: Validity,
    },
    /// Days since 1970-01-01 (Arrow's `date32`).
    Date(Typed<i32>),
    /// Lists, objects, or values of several types.
    Mixed(Vec<Value>),
}

/// Values of one fixed-width type with their validity.
pub struct Typed<T> {
    values: Vec<T>,
    valid: Validity,
}

/// Which values are present; `None` until the first absent one, so a
/// column without gaps carries no bitmap.
#[derive(Default)]
pub struct Validity(Option<Vec<bool>>);

impl Validity {
    fn push(&mut self, present: bool, len_before: usize) {
        match (&mut self.0, present) {
            (Some(bits), _) => bits.push(present),
            (None, true) => {}
            (None, false) => {
                let mut bits = vec![true; len_before];
                bits.push(false);
                self.0 = Some(bits);
            }
        }
    }

    fn all_absent(len: usize) -> Validity {
        Validity(if len == 0 {
            None
        } else {
            Some(vec![false; len])
        })
    }

    fn is_present(&self, index: usize) -> bool {
        self.0.as_ref().is_none_or(|bits| bits[index])
    }

    /// Arrow's bitmap: bit i of byte i/8, least significant first.
    fn bitmap(&self) -> Option<Vec<u8>> {
        let bits = self.0.as_ref()?;
        let mut map = vec![0u8; bits.len().div_ceil(8)];
        for (i, _) in bits.iter().enumerate().filter(|(_, present)| **present) {
            map[i / 8] |= 1 << (i % 8);
        }
        Some(map)
    }
}

impl<T: Copy + Default> Typed<T> {
    fn starting_after_nulls(nulls: usize) -> Typed<T> {
        Typed {
            values: vec![T::default(); nulls],
            valid: Validity::all_absent(nulls),
        }
    }

    fn push(&mut self, value: Option<T>) {
        let len = self.values.len();
        self.valid.push(value.is_some(), len);
        self.values.push(value.unwrap_or_default());
    }

    fn get(&self, index: usize) -> Option<T> {
        self.valid.is_present(index).then(|| self.values[index])
    }
}

/// Days from 1970-01-01 to `date`, as Arrow's date32 holds them.
fn days_since_epoch(date: evident::model::Date) -> i32 {
    // Years 0000–9999 are within ±3.7M days.
    date.unix_days() as i32
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::Null(n) => *n,
            Column::Bool(t) => t.values.len(),
            Column::Integer(t) => t.values.len(),
            Column::Number(t) => t.values.len(),
            Column::String { offsets, .. } => offsets.len() - 1,
            Column::Date(t) => t.values.len(),
            Column::Mixed(values) => values.len(),
        }
    }

    pub fn push(&mut self, value: &Value) {
        if let Column::Null(n) = *self {
            if matches!(value, Value::Null) {
                *self = Column::Null(n + 1);
                return;
            }
            *self = Column::typed_after_nulls(value, n);
        }
        match (&mut *self, value) {
            (Column::Mixed(values), v) => values.push(v.clone()),
            (Column::Bool(t), Value::Bool(b)) => t.push(Some(*b)),
            (Column::Integer(t), Value::Integer(n)) => t.push(Some(*n)),
            (Column::Number(t), Value::Number(x)) => t.push(Some(*x)),
            (Column::Date(t), Value::Date(d)) => t.push(Some(days_since_epoch(*d))),
            (
                Column::String {
                    offsets,
                    bytes,
                    valid,
                },
                Value::String(s),
            ) => {
                valid.push(true, offsets.len() - 1);
                bytes.extend_from_slice(s.as_bytes());
                offsets.push(bytes.len() as i64);
            }
            (column, Value::Null) => column.push_null(),
            (column, other) => {
                let mut values = column.values();
                values.push(other.clone());
                *column = Column::Mixed(values);
            }
        }
    }

    fn push_null(&mut self) {
        match self {
            Column::Null(n) => *n += 1,
            Column::Bool(t) => t.push(None),
            Column::Integer(t) => t.push(None),
            Column::Number(t) => t.push(None),
            Column::Date(t) => t.push(None),
            Column::String {
                offsets,
                bytes,
                valid,
            } => {
                valid.push(false, offsets.len() - 1);
                offsets.push(bytes.len() as i64);
            }
            Column::Mixed(values) => values.push(Value::Null),
        }
    }

    fn typed_after_nulls(first: &Value, nulls: usize) -> Column {
        match first {
            Value::Bool(_) => Column::Bool(Typed::starting_after_nulls(nulls)),
            Value::Integer(_) => Column::Integer(Typed::starting_after_nulls(nulls)),
            Value::Number(_) => Column::Number(Typed::starting_after_nulls(nulls)),
            Value::Date(_) => Column::Date(Typed::starting_after_nulls(nulls)),
            Value::String(_) => Column::String {
                offsets: vec![0; nulls + 1],
                bytes: Vec::new(),
                valid: Validity::all_absent(nulls),
            },
            Value::Null | Value::List(_) | Value::Object(_) => {
                Column::Mixed(vec![Value::Null; nulls])
            }
        }
    }

    /// A text column whose every value is a date (`YYYY-MM-DD`) becomes a
    /// date column; any other is left as it is. For rows that came through
    /// a holder, where dates travel as JSON text.
    pub fn dates_from_text(&mut self) {
        let Column::String { offsets, .. } = &*self else {
            return;
        };
        let len = offsets.len() - 1;
        let mut dates = Typed::starting_after_nulls(0);
        for i in 0..len {
            match self.str_at(i) {
                None => dates.push(None),
                Some(text) => match evident::model::Date::parse(text) {
                    Some(date) => dates.push(Some(days_since_epoch(date))),
                    None => return,
                },
            }
        }
        *self = Column::Date(dates);
    }

    /// The values back as the engine's, for a column turning `Mixed`.
    fn values(&self) -> Vec<Value> {
        (0..self.len()).map(|i| self.value(i)).collect()
    }

    fn value(&self, i: usize) -> Value {
        let or_null = |v: Option<Value>| v.unwrap_or(Value::Null);
        match self {
            Column::Null(_) => Value::Null,
            Column::Bool(t) => or_null(t.get(i).map(Value::Bool)),
            Column::Integer(t) => or_null(t.get(i).map(Value::Integer)),
            Column::Number(t) => or_null(t.get(i).map(Value::Number)),
            Column::Date(t) => or_null(t.get(i).and_then(date_from_days).map(Value::Date)),
            Column::String { .. } => or_null(self.str_at(i).map(|s| Value::String(s.to_owned()))),
            Column::Mixed(values) => values[i].clone(),
        }
    }

    fn str_at(&self, i: usize) -> Option<&str> {
        let Column::String {
            offsets,
            bytes,
            valid,
        } = self
        else {
            return None;
        };
        if !valid.is_present(i) {
            return None;
        }
        let range = offsets[i] as usize..offsets[i + 1] as usize;
        // Whole strings were appended, so every range is valid UTF-8.
        std::str::from_utf8(&bytes[range]).ok()
    }

    /// The values as a Python list, each as the `json` format's row would
    /// give it (dates as `datetime.date`).
    pub fn to_pylist<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for i in 0..self.len() {
            match self {
                Column::Null(_) => list.append(py.None())?,
                Column::Bool(t) => list.append(t.get(i))?,
                Column::Integer(t) => list.append(t.get(i))?,
                Column::Number(t) => list.append(t.get(i))?,
                Column::String { .. } => list.append(self.str_at(i))?,
                Column::Date(t) => match t.get(i) {
                    Some(days) => list.append(py_date_from_days(py, days)?)?,
                    None => list.append(py.None())?,
                },
                Column::Mixed(values) => list.append(value_to_py(py, &values[i])?)?,
            }
        }
        Ok(list)
    }

    /// The column as Arrow buffers: `(type, validity, offsets, values)`,
    /// `type` one of `null`, `bool`, `int64`, `float64`, `large_string`,
    /// `date32`; `None` for a column that is not of one type (Python
    /// builds that one from its list). Each buffer is copied into a
    /// Python `bytes` once, and the column's own is freed after, so at
    /// most one column is held twice.
    pub fn take_arrow<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let none = || py.None().into_bound(py);
        let validity = |v: &Validity| -> PyResult<Bound<'py, PyAny>> {
            Ok(match v.bitmap() {
                Some(map) => PyBytes::new(py, &map).into_any(),
                None => none(),
            })
        };
        let (kind, valid, offsets, values) = match &*self {
            Column::Null(_) => ("null", none(), none(), none()),
            Column::Bool(t) => {
                let mut bits = vec![0u8; t.values.len().div_ceil(8)];
                for (i, _) in t.values.iter().enumerate().filter(|(_, b)| **b) {
                    bits[i / 8] |= 1 << (i % 8);
                }
                let values = PyBytes::new(py, &bits).into_any();
                ("bool", validity(&t.valid)?, none(), values)
            }
            Column::Integer(t) => (
                "int64",
                validity(&t.valid)?,
                none(),
                le_bytes(py, &t.values, |v| v.to_le_bytes())?,
            ),
            Column::Number(t) => (
                "float64",
                validity(&t.valid)?,
                none(),
                le_bytes(py, &t.values, |v| v.to_le_bytes())?,
            ),
            Column::Date(t) => (
                "date32",
                validity(&t.valid)?,
                none(),
                le_bytes(py, &t.values, |v| v.to_le_bytes())?,
            ),
            Column::String {
                offsets,
                bytes,
                valid,
            } => (
                "large_string",
                validity(valid)?,
                le_bytes(py, offsets, |v| v.to_le_bytes())?,
                PyBytes::new(py, bytes).into_any(),
            ),
            Column::Mixed(_) => return Ok(None),
        };
        let len = self.len();
        // The buffers are Python's now; free the column's own.
        *self = Column::Null(len);
        Ok(Some(
            (kind, len, valid, offsets, values)
                .into_pyobject(py)?
                .into_any(),
        ))
    }
}

/// Fixed-width values as little-endian bytes, written straight into a new
/// Python `bytes` (no intermediate copy).
fn le_bytes<'py, T, const N: usize>(
    py: Python<'py>,
    values: &[T],
    to_bytes: impl Fn(&T) -> [u8; N],
) -> PyResult<Bound<'py, PyAny>> {
    let bytes = PyBytes::new_with(py, values.len() * N, |buffer| {
        for (slot, value) in buffer.chunks_exact_mut(N).zip(values) {
            slot.copy_from_slice(&to_bytes(value));
        }
        Ok(())
    })?;
    Ok(bytes.into_any())
}

fn date_from_days(days: i32) -> Option<evident::model::Date> {
    evident::model::Date::from_unix_days(i64::from(days))
}

fn py_date_from_days(py: Python<'_>, days: i32) -> PyResult<Bound<'_, PyDate>> {
    let Some((year, month, day)) = date_from_days(days).map(|d| d.ymd()) else {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "{days} days from 1970-01-01 is not a date in years 0000-9999"
        )));
    };
    PyDate::new(py, i32::from(year), month, day)
}

/// One engine value as Python: the `json` format's value, but dates as
/// `datetime.date`.
fn value_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => b.into_pyobject(py)?.to_owned().into_any(),
        Value::Integer(n) => n.into_pyobject(py)?.into_any(),
        Value::Number(x) => x.into_pyobject(py)?.into_any(),
        Value::String(s) => s.into_pyobject(py)?.into_any(),
        Value::Date(d) => py_date_from_days(py, days_since_epoch(*d))?.into_any(),
        Value::List(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(value_to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(members) => {
            let dict = PyDict::new(py);
            for (name, member) in members {
                dict.set_item(name, value_to_py(py, member)?)?;
            }
            dict.into_any()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_over_the_calendar() {
        let date = |text| evident::model::Date::parse(text).expect("a date");
        assert_eq!(days_since_epoch(date("1970-01-01")), 0);
        assert_eq!(days_since_epoch(date("2000-03-01")), 11_017);
        assert_eq!(days_since_epoch(date("1969-12-31")), -1);
        for days in [-719_468, -1, 0, 59, 11_016, 20_000, 2_932_896] {
            let back = date_from_days(days).expect("in range");
            assert_eq!(days_since_epoch(back), days);
        }
    }
}
