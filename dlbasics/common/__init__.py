"""The plumbing the rest of the package stands on: command-line helpers and one-line errors (the scripts'
own), fixed paths, the staged outputs and the writers of JSON and LaTeX, the datasets and their origin,
child processes, and the external commands the report needs."""
