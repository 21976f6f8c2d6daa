"""The bank of on-site audit questions: YAML files of concrete questions per clause, in
Vietnamese, for a school and for the Department, loaded as checklist templates on the root units
by ``manage.py load_question_bank`` (see ``loader.py``)."""
