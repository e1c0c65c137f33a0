"""Bringing a business's data in from the software it used before (CSV or XLSX files).

Pure steps, no Qt and no HTTP, each in its own module, run by the server (the desk never needs
every family locally):

    reading   bytes -> Table: encoding, separator, Excel quirks; a file that is not a table is a FileProblem
    fields    what each column holds: the import's fields, and guesses from common headers
    values    one cell -> a clean value (names, email, phone, dates, money) or a problem in words
    rows      one table row -> a RowData and its problems
    existing  what the account already holds, indexed for matching
    plan      rows grouped into families and matched against the account: what would be written
    writing   a plan written in one transaction, every row with a change number so desks pull it
    stored    uploaded files, kept in the account's database between preview and commit
    job_rows  import jobs as every server process sees them: a registry row each (progress, heartbeat, cancel)
    jobs      the import job on its thread, all or nothing, its row kept up to date
"""
