//! The CSV reader: the format, and errors that name the line and the column.

use crate::dec;
use trellis_attribution::{Error, PathTable, Problem};

fn read(s: &str) -> Result<PathTable, Error> {
    PathTable::from_csv(s.as_bytes())
}

#[test]
fn reads_paths_counts_and_values() {
    let t = read("conversions,path,non_conversions,value,note\n2, A > B ,3,19.90,x\n0,C,4,,y\r\n1,A,0,1e1,z\n").unwrap();
    assert_eq!(t.rows().len(), 3);
    let p: Vec<&str> = t.rows()[0].path.iter().map(|c| c.as_str()).collect();
    assert_eq!(p, ["A", "B"]);
    assert_eq!(
        (t.rows()[0].conversions, t.rows()[0].non_conversions),
        (2, 3)
    );
    assert_eq!(t.rows()[1].value, dec("0"));
    assert_eq!(t.rows()[2].value, dec("10"));
    assert_eq!((t.conversions(), t.value()), (3, dec("29.90")));
    // Without a value column every value is 0.
    let t = read("path,conversions,non_conversions\nA>B,1,1\n").unwrap();
    assert_eq!(t.value(), dec("0"));
}

#[test]
fn errors_name_the_line_and_the_column() {
    let cell = |s: &str| match read(s) {
        Err(Error::Cell {
            line,
            column,
            name,
            problem,
        }) => (line, column, name, problem),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        read("path,conversions\nA,1\n"),
        Err(Error::MissingColumn {
            line: 1,
            column: "non_conversions"
        })
    );
    assert_eq!(
        cell("path,conversions,non_conversions\nA,1,0\n,1,0\n"),
        (3, 1, "path", Problem::EmptyPath)
    );
    assert_eq!(
        cell("path,conversions,non_conversions\nA>>B,1,0\n"),
        (2, 1, "path", Problem::EmptyChannel { touch: 2 })
    );
    assert_eq!(
        cell("path,conversions,non_conversions\nA>B>,1,0\n"),
        (2, 1, "path", Problem::EmptyChannel { touch: 3 })
    );
    assert_eq!(
        cell("path,conversions,non_conversions\nA,1.5,0\n"),
        (2, 2, "conversions", Problem::NotACount("1.5".into()))
    );
    assert_eq!(
        cell("path,conversions,non_conversions\nA,1,-2\n"),
        (2, 3, "non_conversions", Problem::NotACount("-2".into()))
    );
    assert_eq!(
        cell("path,conversions,non_conversions\nA,1,99999999999999999999\n").3,
        Problem::NotACount("99999999999999999999".into())
    );
    assert_eq!(
        cell("path,conversions,non_conversions,value\nA,1,0,1O\n"),
        (2, 4, "value", Problem::NotADecimal("1O".into()))
    );
    assert_eq!(
        cell("path,conversions,non_conversions,value\nA,1,0,-3\n"),
        (2, 4, "value", Problem::NegativeValue("-3".into()))
    );
    assert_eq!(
        cell("path,conversions,non_conversions,value\nA,0,5,3\n"),
        (2, 4, "value", Problem::ValueWithoutConversions("3".into()))
    );
    // A quoted cell spanning two lines: the next record starts on line 4.
    assert_eq!(
        cell("path,conversions,non_conversions\n\"A>\nB\",1,0\nA,x,0\n"),
        (4, 2, "conversions", Problem::NotACount("x".into()))
    );
    assert_eq!(
        read(""),
        Err(Error::MissingColumn {
            line: 1,
            column: "path"
        })
    );
    assert!(matches!(
        read("path,conversions,non_conversions\nA,1\n"),
        Err(Error::Csv { line: 2, .. })
    ));
    let e = read("path,conversions,non_conversions\nA,1,0\nB,two,0\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 3, column 2 (`conversions`): \"two\" is not a whole number of users (0 or more)"
    );
}
