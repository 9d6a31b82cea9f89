"""A pipeline's trigger rules on the pipeline detail page: the form as data with its only
writers (form), the cards of rules, recent fires and deliveries (records), and the
"edit trigger rules" dialog with its callbacks (panel) and its fixed words (choices).
"""
