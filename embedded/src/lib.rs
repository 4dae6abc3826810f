//! What runtara firmware links (work in progress).
