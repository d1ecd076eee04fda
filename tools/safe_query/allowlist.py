"""The allowlists of the validator: which parse-node kinds, functions and catalogs a read-only query may use.

Anything not listed here is refused (fail closed), so a function sqlglot does not know (``exp.Anonymous``) runs only
when its bare name is on its dialect's list below, and a typed sqlglot function runs only when its class is. The
shape comes from Postgres MCP Pro's ``safe_sql.py`` (allowlists of statement, node and function kinds), made
multi-dialect over sqlglot's typed expressions.

Families (every dialect): aggregates, window functions, math, string, date/time, casts and conditionals, JSON reads,
arrays, set-returning generators. Functions that build big values from a small input (``repeat``, ``lpad``,
``printf('%.*c', ...)``, ``randomblob`` ...) are *size-limited*: their count must be an integer literal within
``SIZE_LIMIT`` and they may not be nested inside each other or inside an aggregate.
"""

from __future__ import annotations

from sqlglot import exp


def _classes(*names: str) -> frozenset[type[exp.Expr]]:
    """The sqlglot node classes named (``tests/tools/test_safe_query_lists.py`` fails if one stops existing)."""
    found = (getattr(exp, name, None) for name in names)
    return frozenset(c for c in found if isinstance(c, type) and issubclass(c, exp.Expr))


# --- parse-node kinds (everything that is not a function call) ---------------------------------------------------
NODE_KINDS = _classes(
    # query structure
    "Select", "Union", "Intersect", "Except", "Subquery", "With", "CTE", "From", "Join", "Where", "Group", "Having",
    "Order", "Ordered", "Limit", "Offset", "Fetch", "LimitOptions", "Distinct", "Qualify", "Lateral", "Values",
    "Tuple", "Table",
    "TableAlias", "Alias", "Aliases", "Column", "Identifier", "Star", "Dot", "Window", "WindowSpec", "Filter",
    "WithinGroup", "Cube", "Rollup", "GroupingSets", "Semicolon", "Hint", "IndexTableHint", "Paren", "Slice",
    "Bracket", "Null", "Boolean", "Literal", "Var", "DataType", "DataTypeParam", "Interval", "IntervalSpan",
    "RawString", "National", "ByteString", "HexString", "BitString", "UnicodeString", "ColumnDef", "Placeholder",
    "IgnoreNulls", "RespectNulls", "HavingMax", "Tags", "PivotAlias", "Pivot", "TableSample",
    "Kwarg", "Escape", "Array", "Struct", "ArrayConstructCompact",
    # operators
    "Add", "Sub", "Mul", "Div", "IntDiv", "Mod", "Neg", "Pow", "DPipe", "EQ", "NEQ", "NullSafeEQ", "NullSafeNEQ",
    "GT", "GTE", "LT", "LTE", "Is", "In", "Between", "Like", "ILike", "SimilarTo", "Glob",
    "RegexpLike", "RegexpILike", "Not", "And", "Or", "Xor", "BitwiseAnd", "BitwiseOr", "BitwiseXor", "BitwiseNot",
    "BitwiseLeftShift", "BitwiseRightShift", "Any", "All", "Overlaps", "ArrayContains", "ArrayContainsAll",
    "ArrayContainedBy", "ArrayOverlaps", "Collate", "AtTimeZone", "Distance",
    # JSON paths
    "JSONPath", "JSONPathRoot", "JSONPathKey", "JSONPathSubscript", "JSONPathWildcard", "JSONPathSlice",
    "JSONPathRecursive", "JSONPathUnion", "JSONPathSelector", "JSONPathScript", "JSONPathFilter", "JSONKeyValue",
    "FormatJson", "OnCondition", "JSONColumnDef", "JSONSchema", "JSONValue",
)  # fmt: skip

# --- typed sqlglot functions, allowed in every dialect -----------------------------------------------------------
AGGREGATES = _classes(
    "Count", "Sum", "Avg", "Min", "Max", "GroupConcat", "ArrayAgg", "Stddev", "StddevPop", "StddevSamp", "Variance",
    "VariancePop", "Corr", "CovarPop", "CovarSamp", "PercentileCont", "PercentileDisc", "Median", "Mode",
    "AnyValue", "CountIf", "LogicalAnd", "LogicalOr", "BitwiseAndAgg", "BitwiseOrAgg", "BitwiseXorAgg",
    "JSONArrayAgg", "JSONObjectAgg", "JSONBObjectAgg", "ApproxDistinct", "Quantile", "ApproxQuantile", "Grouping",
    "GroupingId", "First", "Last", "ArgMax", "ArgMin", "RegrSlope", "RegrIntercept", "RegrR2", "RegrCount",
    "RegrAvgx", "RegrAvgy", "RegrSxx", "RegrSyy", "RegrSxy", "Skewness", "Kurtosis", "ArrayConcatAgg",
)  # fmt: skip
WINDOW_FUNCTIONS = _classes(
    "RowNumber", "Rank", "DenseRank", "PercentRank", "CumeDist", "Ntile", "Lag", "Lead", "FirstValue", "LastValue",
    "NthValue",
)  # fmt: skip
MATH = _classes(
    "Abs", "Ceil", "Floor", "Round", "Trunc", "Sign", "Sqrt", "Cbrt", "Exp", "Ln", "Log", "Pow", "Pi", "Radians",
    "Degrees", "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Atan2", "Cot", "Sinh", "Cosh", "Tanh", "Greatest",
    "Least", "Rand", "WidthBucket", "IsNan", "IsInf", "SafeDivide", "Factorial",
)  # fmt: skip
STRINGS = _classes(
    "Lower", "Upper", "Length", "ByteLength", "BitLength", "Substring", "Trim", "Replace", "Concat", "ConcatWs",
    "Left", "Right", "Reverse", "StrPosition", "Initcap", "Translate", "SplitPart", "Ascii", "Chr", "Unicode",
    "Levenshtein", "Soundex", "MD5", "SHA", "SHA2", "Hex", "LowerHex", "Unhex", "ToChar", "NumberToStr",
    "RegexpReplace", "RegexpExtract", "RegexpExtractAll", "RegexpSubstr", "RegexpCount", "RegexpInstr",
    "RegexpSplit", "StartsWith",
    "EndsWith", "Contains", "Overlay", "SubstringIndex", "Normalize", "Elt", "StringToArray", "Split",
    "ToBase64", "FromBase64", "Encode", "Decode", "Format",
)  # fmt: skip
DATES = _classes(
    "CurrentDate", "CurrentTime", "CurrentTimestamp", "CurrentDatetime", "Localtime", "Localtimestamp", "Date",
    "Datetime", "Time", "Timestamp", "Extract", "DateAdd", "DateSub", "DateDiff", "DateTrunc", "TimestampTrunc",
    "DatetimeTrunc", "TimeTrunc", "TimestampAdd", "TimestampSub", "TimestampDiff", "DatetimeAdd", "DatetimeSub",
    "DatetimeDiff", "TimeAdd", "TimeSub", "TimeDiff", "StrToDate", "StrToTime", "TimeToStr", "TimeStrToTime",
    "TimeStrToDate", "TimeToUnix", "UnixToTime", "UnixToStr", "UnixToTimeStr", "StrToUnix", "TsOrDsToDate",
    "TsOrDsToTimestamp", "TsOrDsToDatetime", "TsOrDsToTime", "TsOrDsAdd", "TsOrDsDiff", "TsOrDsToDateStr",
    "DateStrToDate", "DateToDateStr", "Day", "DayOfMonth", "DayOfWeek", "DayOfWeekIso", "DayOfYear", "Dayname",
    "Month", "Monthname", "Year", "Quarter", "Week", "WeekOfYear", "Hour", "Minute", "Second", "LastDay", "AddMonths",
    "MonthsBetween", "MakeInterval", "JustifyDays", "JustifyHours", "JustifyInterval", "DateFromParts",
    "TimestampFromParts", "UnixDate", "UnixSeconds", "ConvertTimezone", "DateBin", "ToDays", "FromISO8601Timestamp",
)  # fmt: skip
CONDITIONALS_AND_CASTS = _classes(
    "Cast", "TryCast", "CastToStrType", "Convert", "Case", "If", "Coalesce", "Nullif", "Nvl2", "And", "Or", "Xor",
    "Exists", "Typeof", "CurrentDatabase", "CurrentSchema", "CurrentUser", "CurrentVersion", "CurrentCatalog",
    "ToNumber", "EqualNull", "DecodeCase",
)  # fmt: skip
JSON_READS = _classes(
    "JSONExtract", "JSONExtractScalar", "JSONBExtract", "JSONBExtractScalar", "JSONBContains", "JSONBExists",
    "JSONArray", "JSONObject", "JSONKeys", "JSONType", "JSONFormat", "ParseJSON", "JSONBPathExists", "JSONExists",
    "JSONArrayContains", "JSONBContainsAnyTopKeys", "JSONBContainsAllTopKeys", "JSONBContainsTopKey", "JSONCast",
    "JSONExtractArray", "JSONValueArray", "JSONStripNulls", "JSONTable", "CheckJson",
)  # fmt: skip
ARRAYS_AND_GENERATORS = _classes(
    "ArraySize", "ArrayToString", "ArrayPosition", "ArrayContains", "Unnest", "Explode", "GenerateSeries",
    "ExplodingGenerateSeries", "GenerateDateArray",
)  # fmt: skip
SIZE_LIMITED_KINDS = _classes("Repeat", "Pad", "Space")

TYPED_FUNCTIONS: frozenset[type[exp.Expr]] = (
    AGGREGATES | WINDOW_FUNCTIONS | MATH | STRINGS | DATES | CONDITIONALS_AND_CASTS | JSON_READS
    | ARRAYS_AND_GENERATORS | SIZE_LIMITED_KINDS
)  # fmt: skip

# --- functions sqlglot leaves untyped (exp.Anonymous), by bare lower-case name, per dialect ----------------------
_ANONYMOUS_COMMON = frozenset({"ltrim", "rtrim", "char_length", "character_length", "octet_length", "nullif", "ifnull"})
_PG = frozenset(
    {
        "age", "date_part", "make_date", "make_time", "make_timestamp", "make_timestamptz", "to_date", "to_timestamp",
        "to_number", "clock_timestamp", "statement_timestamp", "transaction_timestamp", "isfinite", "timezone",
        "json_build_object", "jsonb_build_object", "json_build_array", "jsonb_build_array", "json_agg", "jsonb_agg",
        "json_object_agg", "jsonb_object_agg", "jsonb_array_length", "json_array_length", "jsonb_typeof", "json_typeof",
        "jsonb_each", "jsonb_each_text", "json_each", "json_each_text", "jsonb_object_keys", "json_object_keys",
        "jsonb_extract_path", "jsonb_extract_path_text", "json_extract_path", "json_extract_path_text",
        "jsonb_array_elements", "jsonb_array_elements_text", "json_array_elements", "json_array_elements_text",
        "jsonb_path_query", "jsonb_path_query_first", "jsonb_path_exists", "jsonb_path_match", "jsonb_pretty",
        "to_json",
        "to_jsonb", "row_to_json", "array_to_json", "cardinality", "array_length", "array_lower", "array_upper",
        "array_dims", "array_remove", "array_cat", "array_append", "array_prepend", "regexp_matches",
        "regexp_split_to_array", "regexp_split_to_table", "btrim", "strpos", "string_agg", "bool_and", "bool_or",
        "every", "num_nonnulls", "num_nulls", "gcd", "lcm", "div", "log10", "ceiling", "power", "random", "quote_ident",
        "quote_literal", "quote_nullable", "md5", "starts_with", "unistr", "concat_ws", "format_type", "to_hex",
        "percentile_cont", "percentile_disc", "mode", "date_trunc", "pg_size_pretty", "pg_database_size",
        "pg_relation_size",
        "pg_total_relation_size", "pg_table_size", "pg_indexes_size", "current_database", "current_schema", "version",
        "justify_days", "justify_hours", "justify_interval",
        "width_bucket", "lpad", "rpad", "repeat",
    }
)  # fmt: skip

_MY = frozenset(
    {
        "json_array", "json_object", "json_extract", "json_keys", "json_type", "json_merge_patch",
        "adddate", "subdate", "sysdate", "weekday", "makedate", "maketime", "from_unixtime", "unix_timestamp",
        "date_format", "time_format", "period_add", "period_diff", "to_days", "from_days", "yearweek", "utc_date",
        "utc_time", "utc_timestamp", "sec_to_time", "time_to_sec", "convert_tz", "json_unquote", "json_value",
        "json_contains", "json_contains_path", "json_length", "json_depth", "json_valid", "json_quote", "json_query",
        "json_search", "json_overlaps", "json_arrayagg", "json_objectagg", "json_detailed", "json_pretty",
        "json_compact", "json_loose", "json_normalize", "json_equals", "mid", "field", "find_in_set", "instr", "locate",
        "lcase", "ucase", "char_length", "lpad", "rpad", "repeat", "space", "strcmp", "crc32", "std", "bit_count",
        "truncate", "natural_sort_key", "regexp_instr", "regexp_substr", "last_day", "median", "percentile_cont",
        "percentile_disc", "inet_ntoa", "inet_aton", "oct", "bin", "conv",
    }
)  # fmt: skip

_LITE = frozenset(
    {
        "pragma_table_info", "pragma_table_xinfo", "pragma_index_list", "pragma_index_info", "pragma_foreign_key_list",
        "date", "time", "datetime", "julianday", "unixepoch", "strftime", "timediff", "printf", "format", "iif",
        "total",
        "typeof", "instr", "hex", "unhex", "quote", "glob", "like", "likelihood", "likely", "unlikely", "json", "jsonb",
        "json_array_length", "json_extract", "json_type", "json_valid", "json_quote", "json_group_array",
        "json_group_object", "json_each", "json_tree", "json_object", "json_array", "json_patch", "json_insert",
        "json_replace", "json_set", "json_remove", "random", "randomblob", "zeroblob", "unicode", "char", "soundex",
        "sign", "median", "string_agg", "group_concat", "ifnull", "nullif", "coalesce", "min", "max", "abs", "round",
        "upper", "lower", "length", "substr", "substring", "trim", "replace", "log", "log2", "log10", "ln", "exp",
        "pow",
        "power", "sqrt", "floor", "ceil", "ceiling", "trunc", "mod", "pi", "sin", "cos", "tan", "degrees", "radians",
        "octet_length", "concat", "concat_ws",
    }
)  # fmt: skip

_ORA = frozenset(
    {
        "nvl", "nvl2", "decode", "to_date", "to_char", "to_number", "months_between", "add_months", "instr", "lpad",
        "rpad", "initcap", "regexp_substr", "listagg",
    }
)  # fmt: skip

_MS = frozenset(
    {
        "isnull", "iif", "datename", "datepart", "eomonth", "format", "charindex", "len", "string_agg", "concat_ws",
        "dateadd", "datediff", "getdate", "sysdatetime",
    }
)  # fmt: skip
ANONYMOUS: dict[str, frozenset[str]] = {
    "postgres": _ANONYMOUS_COMMON | _PG,
    "mysql": _ANONYMOUS_COMMON | _MY,
    "sqlite": _ANONYMOUS_COMMON | _LITE,
    "oracle": _ANONYMOUS_COMMON | _ORA,
    "tsql": _ANONYMOUS_COMMON | _MS,
}

# Size-limited by name (exp.Anonymous spellings), with the 0-based position of their count argument.
SIZE_LIMITED_NAMES: dict[str, int] = {"repeat": 1, "lpad": 1, "rpad": 1, "space": 0, "randomblob": 0, "zeroblob": 0}
SIZE_LIMIT = 1_000_000
"""Largest literal count a size-limited function accepts (bytes/characters of one value)."""

# --- catalogs and system schemas -----------------------------------------------------------------------------------
SYSTEM_SCHEMAS: dict[str, frozenset[str]] = {
    "postgres": frozenset({"pg_catalog", "pg_toast", "information_schema"}),
    "mysql": frozenset({"mysql", "performance_schema", "sys", "information_schema"}),
    "sqlite": frozenset({"temp"}),
    "oracle": frozenset({"sys", "system"}),
    "tsql": frozenset({"sys", "master", "msdb", "tempdb", "model", "information_schema"}),
}
INFORMATION_SCHEMA_VIEWS = frozenset(
    {"tables", "columns", "views", "key_column_usage", "table_constraints", "referential_constraints", "schemata"}
)
"""information_schema views a query may read (the database's privileges decide which rows it sees)."""

SQLITE_CATALOG_TABLES = frozenset({"sqlite_master", "sqlite_schema"})


def allowlist_sizes() -> dict[str, int]:
    """How many functions each dialect allows: typed sqlglot kinds plus untyped names."""
    typed = len(TYPED_FUNCTIONS)
    return {dialect: typed + len(names) for dialect, names in ANONYMOUS.items()}
