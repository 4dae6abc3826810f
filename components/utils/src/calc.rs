//! Arithmetic expressions for `calculate`: a tokenizer, a recursive-descent parser and
//! an evaluator over `f64`.
//!
//! Grammar, loosest binding first:
//!
//! ```text
//! expression := term (("+" | "-") term)*
//! term       := unary (("*" | "/" | "%") unary)*
//! unary      := ("-" | "+") unary | power
//! power      := primary ("^" unary)?          right-associative: 2^3^2 = 2^9
//! primary    := number | variable | "(" expression ")"
//! number     := digits ["." digits] [("e" | "E") ["+" | "-"] digits]   (or ".5")
//! variable   := (letter | "_") (letter | digit | "_")*
//! ```
//!
//! So `-2^2` is `-(2^2)` = -4, and `2^-1` is 0.5. `%` is the remainder with the sign of
//! the dividend (`-7 % 3` = -1). Positions in errors count characters from 1.

use alloc::{borrow::ToOwned, boxed::Box, format, string::String, vec::Vec};

use alloc::collections::BTreeMap;

/// How deeply parentheses and unary operators may nest.
const MAX_DEPTH: usize = 200;

/// What went wrong, and at which character (counted from 1).
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub position: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text is not an expression.
    Syntax,
    /// A variable the expression uses is not given.
    UnknownVariable,
    /// Division by zero, or a result that is not a finite number.
    Arithmetic,
}

impl Error {
    fn new(kind: ErrorKind, position: usize, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            position,
        }
    }
}

/// Parses `expression` and evaluates it with `variables`.
pub fn evaluate(expression: &str, variables: &BTreeMap<String, f64>) -> Result<f64, Error> {
    let tokens = tokenize(expression)?;
    let mut parser = Parser {
        tokens,
        next: 0,
        depth: 0,
    };
    let tree = parser.expression()?;
    let token = parser.peek();
    if token.kind != TokenKind::End {
        let what = token.describe();
        let message = if token.kind == TokenKind::RParen {
            format!("unmatched ')' at character {}", token.position)
        } else {
            format!(
                "expected an operator at character {}, found {what}",
                token.position
            )
        };
        return Err(Error::new(ErrorKind::Syntax, token.position, message));
    }
    tree.eval(variables)
}

// ---------------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, PartialEq)]
enum TokenKind {
    Number(f64),
    Name(String),
    Op(char),
    LParen,
    RParen,
    End,
}

#[derive(Debug, Clone)]
struct Token {
    kind: TokenKind,
    /// The character the token starts at, from 1.
    position: usize,
}

impl Token {
    fn describe(&self) -> String {
        match &self.kind {
            TokenKind::Number(n) => format!("the number {n}"),
            TokenKind::Name(name) => format!("'{name}'"),
            TokenKind::Op(op) => format!("'{op}'"),
            TokenKind::LParen => "'('".into(),
            TokenKind::RParen => "')'".into(),
            TokenKind::End => "the end of the expression".into(),
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<Token>, Error> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let position = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let kind = if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let (number, end) = read_number(&chars, i)?;
            i = end;
            TokenKind::Number(number)
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            TokenKind::Name(chars[start..i].iter().collect())
        } else {
            i += 1;
            match c {
                '+' | '-' | '*' | '/' | '%' | '^' => TokenKind::Op(c),
                '(' => TokenKind::LParen,
                ')' => TokenKind::RParen,
                other => {
                    return Err(Error::new(
                        ErrorKind::Syntax,
                        position,
                        format!("unexpected character '{other}' at character {position}"),
                    ));
                }
            }
        };
        tokens.push(Token { kind, position });
    }
    tokens.push(Token {
        kind: TokenKind::End,
        position: chars.len() + 1,
    });
    Ok(tokens)
}

/// Reads the number starting at `start`; returns it and the index after it.
fn read_number(chars: &[char], start: usize) -> Result<(f64, usize), Error> {
    let digits = |mut i: usize| {
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = digits(start);
    if chars.get(i) == Some(&'.') {
        i = digits(i + 1);
    }
    if matches!(chars.get(i), Some('e' | 'E')) {
        let sign = usize::from(matches!(chars.get(i + 1), Some('+' | '-')));
        if chars.get(i + 1 + sign).is_some_and(char::is_ascii_digit) {
            i = digits(i + 1 + sign);
        }
    }
    let text: String = chars[start..i].iter().collect();
    text.parse::<f64>().map(|n| (n, i)).map_err(|_| {
        Error::new(
            ErrorKind::Syntax,
            start + 1,
            format!("'{text}' at character {} is not a number", start + 1),
        )
    })
}

// ---------------------------------------------------------------------------------------
// Parsing

/// A parsed expression.
#[derive(Debug)]
enum Node {
    Number(f64),
    Variable {
        name: String,
        position: usize,
    },
    Negate(Box<Node>),
    Binary {
        op: char,
        position: usize,
        left: Box<Node>,
        right: Box<Node>,
    },
}

struct Parser {
    tokens: Vec<Token>,
    next: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        // The last token is always End, and the parser never moves past it.
        &self.tokens[self.next.min(self.tokens.len() - 1)]
    }

    fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::End {
            self.next += 1;
        }
        token
    }

    /// The operator at the current token, if it is one of `ops`.
    fn operator(&self, ops: &[char]) -> Option<(char, usize)> {
        match self.peek().kind {
            TokenKind::Op(op) if ops.contains(&op) => Some((op, self.peek().position)),
            _ => None,
        }
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let position = self.peek().position;
            return Err(Error::new(
                ErrorKind::Syntax,
                position,
                format!(
                    "the expression nests more than {MAX_DEPTH} levels deep at character {position}"
                ),
            ));
        }
        Ok(())
    }

    fn expression(&mut self) -> Result<Node, Error> {
        self.binary_chain(&['+', '-'], Self::term)
    }

    fn term(&mut self) -> Result<Node, Error> {
        self.binary_chain(&['*', '/', '%'], Self::unary)
    }

    /// `operand (op operand)*`, left-associative.
    fn binary_chain(
        &mut self,
        ops: &[char],
        operand: fn(&mut Self) -> Result<Node, Error>,
    ) -> Result<Node, Error> {
        let mut left = operand(self)?;
        while let Some((op, position)) = self.operator(ops) {
            self.advance();
            let right = operand(self)?;
            left = Node::Binary {
                op,
                position,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node, Error> {
        if let Some((op, _)) = self.operator(&['-', '+']) {
            self.advance();
            self.enter()?;
            let operand = self.unary()?;
            self.depth -= 1;
            return Ok(if op == '-' {
                Node::Negate(Box::new(operand))
            } else {
                operand
            });
        }
        self.power()
    }

    fn power(&mut self) -> Result<Node, Error> {
        let base = self.primary()?;
        if let Some((op, position)) = self.operator(&['^']) {
            self.advance();
            self.enter()?;
            let exponent = self.unary()?;
            self.depth -= 1;
            return Ok(Node::Binary {
                op,
                position,
                left: Box::new(base),
                right: Box::new(exponent),
            });
        }
        Ok(base)
    }

    fn primary(&mut self) -> Result<Node, Error> {
        let token = self.advance();
        match token.kind {
            TokenKind::Number(n) => Ok(Node::Number(n)),
            TokenKind::Name(name) => {
                if self.peek().kind == TokenKind::LParen {
                    return Err(Error::new(
                        ErrorKind::Syntax,
                        token.position,
                        format!(
                            "'{name}(' at character {}: functions are not supported",
                            token.position
                        ),
                    ));
                }
                Ok(Node::Variable {
                    name,
                    position: token.position,
                })
            }
            TokenKind::LParen => {
                self.enter()?;
                let inner = self.expression()?;
                self.depth -= 1;
                let close = self.advance();
                if close.kind != TokenKind::RParen {
                    return Err(Error::new(
                        ErrorKind::Syntax,
                        close.position,
                        format!(
                            "expected ')' at character {} to close the '(' at character {}, found {}",
                            close.position,
                            token.position,
                            close.describe()
                        ),
                    ));
                }
                Ok(inner)
            }
            _ => {
                let message = if token.kind == TokenKind::End && token.position == 1 {
                    "the expression is empty".to_owned()
                } else {
                    format!(
                        "expected a number, a variable or '(' at character {}, found {}",
                        token.position,
                        token.describe()
                    )
                };
                Err(Error::new(ErrorKind::Syntax, token.position, message))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// Evaluation

impl Node {
    fn eval(&self, variables: &BTreeMap<String, f64>) -> Result<f64, Error> {
        match self {
            Node::Number(n) => Ok(*n),
            Node::Variable { name, position } => variables.get(name).copied().ok_or_else(|| {
                let mut known: Vec<&str> = variables.keys().map(String::as_str).collect();
                known.sort_unstable();
                let known = if known.is_empty() {
                    "no variables are given".to_owned()
                } else {
                    format!("the variables are: {}", known.join(", "))
                };
                Error::new(
                    ErrorKind::UnknownVariable,
                    *position,
                    format!("unknown variable '{name}' at character {position} ({known})"),
                )
            }),
            Node::Negate(operand) => Ok(-operand.eval(variables)?),
            Node::Binary {
                op,
                position,
                left,
                right,
            } => {
                let (x, y) = (left.eval(variables)?, right.eval(variables)?);
                if matches!(op, '/' | '%') && y == 0.0 {
                    return Err(Error::new(
                        ErrorKind::Arithmetic,
                        *position,
                        format!("division by zero ('{op}' at character {position})"),
                    ));
                }
                let result = match op {
                    '+' => x + y,
                    '-' => x - y,
                    '*' => x * y,
                    '/' => x / y,
                    '%' => x % y,
                    _ => runtara_agent::float::powf(x, y),
                };
                if !result.is_finite() {
                    return Err(Error::new(
                        ErrorKind::Arithmetic,
                        *position,
                        format!(
                            "{x} {op} {y} ('{op}' at character {position}) is not a finite number"
                        ),
                    ));
                }
                Ok(result)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calc(expression: &str) -> Result<f64, Error> {
        let variables: BTreeMap<String, f64> =
            [("x".to_owned(), 4.0), ("rate_2".to_owned(), 0.5)].into();
        evaluate(expression, &variables)
    }

    fn error(expression: &str) -> (ErrorKind, usize, String) {
        let e = calc(expression).unwrap_err();
        (e.kind, e.position, e.message)
    }

    #[test]
    fn precedence_and_associativity() {
        assert_eq!(calc("1 + 2 * 3").unwrap(), 7.0);
        assert_eq!(calc("(1 + 2) * 3").unwrap(), 9.0);
        assert_eq!(calc("10 - 4 - 3").unwrap(), 3.0);
        assert_eq!(calc("2 ^ 3 ^ 2").unwrap(), 512.0);
        assert_eq!(calc("-2 ^ 2").unwrap(), -4.0);
        assert_eq!(calc("2 ^ -1").unwrap(), 0.5);
        assert_eq!(calc("-7 % 3").unwrap(), -1.0);
        assert_eq!(calc("--3").unwrap(), 3.0);
        assert_eq!(calc("+3 - -3").unwrap(), 6.0);
        assert_eq!(calc("x * rate_2 + .5e1").unwrap(), 7.0);
        assert_eq!(calc("1.5E-1 * 10").unwrap(), 1.5);
        assert_eq!(calc("  ((x))  ").unwrap(), 4.0);
        assert_eq!(calc("8 / 4 / 2").unwrap(), 1.0);
    }

    #[test]
    fn syntax_errors_name_the_position() {
        assert_eq!(error("").2, "the expression is empty");
        assert_eq!(error("1 +").1, 4);
        assert_eq!(error("1 + * 2").1, 5);
        assert_eq!(error("(1 + 2").0, ErrorKind::Syntax);
        assert!(
            error("(1 + 2")
                .2
                .contains("to close the '(' at character 1")
        );
        assert!(error("1 + 2)").2.contains("unmatched ')' at character 6"));
        assert!(
            error("2 x")
                .2
                .contains("expected an operator at character 3")
        );
        assert!(
            error("1 # 2")
                .2
                .contains("unexpected character '#' at character 3")
        );
        assert!(error("sqrt(4)").2.contains("functions are not supported"));
        let deep = format!("{}1{}", "(".repeat(300), ")".repeat(300));
        assert!(error(&deep).2.contains("nests more than"));
    }

    #[test]
    fn evaluation_errors() {
        let (kind, position, message) = error("1 / (x - 4)");
        assert_eq!((kind, position), (ErrorKind::Arithmetic, 3));
        assert!(message.contains("division by zero"), "{message}");
        assert_eq!(error("5 % 0").0, ErrorKind::Arithmetic);
        assert_eq!(error("10 ^ 400").0, ErrorKind::Arithmetic);
        assert_eq!(error("(-8) ^ 0.5").0, ErrorKind::Arithmetic);
        let (kind, position, message) = error("x + y");
        assert_eq!((kind, position), (ErrorKind::UnknownVariable, 5));
        assert!(message.contains("rate_2, x"), "{message}");
    }
}
